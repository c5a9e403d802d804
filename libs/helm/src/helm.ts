// Where the real helm binary (installed by tools/setup/setup.mjs) and the charts it renders live, and how
// `helm template` output splits into objects that keep the chart template each one came from. helm itself
// runs inside kustomize (libs/kustomize), as inside Argo CD's build of the platform folder.
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { shownPath } from '@flyte-gkp/diagnostics';
import { parseAllDocuments } from 'yaml';

export interface HelmSettings {
  /** absolute path of the helm binary */
  binary: string;
}

/** One object of the rendered chart. */
export interface ChartObject {
  /** helm's `# Source:` line: the template that produced it, e.g. `flyte/templates/admin/deployment.yaml` */
  source: string;
  /** the object as Kubernetes will read it */
  object: Record<string, unknown>;
  /** its YAML as helm wrote it */
  text: string;
}

/** helm or the chart cannot be used: a setup problem, not a verdict on the values. */
export class HelmUnavailableError extends Error {
  override name = 'HelmUnavailableError';
}

const SETUP_HINT = 'run `npm run setup`';

/** The binary as tools/setup/setup.mjs installs it under <repoRoot>/.tools. */
export function helmSettings(repoRoot: string): HelmSettings {
  return { binary: join(repoRoot, '.tools/bin/helm') };
}

/** Where tools/setup/setup.mjs unpacks a chart: `.tools/charts/<chart>-<version>/`. */
export function chartFolder(repoRoot: string, chart: string, version: string): string {
  return join(repoRoot, '.tools/charts', `${chart}-${version}`);
}

/** Says what to do when helm or the chart is missing, before anything runs. */
export function checkInstalled(settings: HelmSettings, chartDir: string): void {
  try {
    accessSync(settings.binary, constants.X_OK);
  } catch {
    throw new HelmUnavailableError(`helm not found at ${shownPath(settings.binary)}: ${SETUP_HINT}`);
  }
  if (!existsSync(join(chartDir, 'Chart.yaml'))) {
    throw new HelmUnavailableError(
      `no chart at ${shownPath(chartDir)}: ${SETUP_HINT} (it unpacks the chart from FLYTE_CHART or its pinned URL)`,
    );
  }
}

/**
 * Splits `helm template` output into objects. helm starts each document with `# Source: <template path>`;
 * a template may yield several documents, and empty ones (a template whose condition is off) are
 * dropped, as Argo CD drops them. Parsed as YAML 1.1, as Kubernetes' decoder reads it (`y` is a boolean).
 */
export function parseTemplateOutput(output: string): ChartObject[] {
  return parseAllDocuments(output, { version: '1.1' }).flatMap((document) => {
    const object = document.toJS() as unknown;
    if (object === null || typeof object !== 'object' || Array.isArray(object)) return [];
    const text = output.slice(document.range[0], document.range[2]).replace(/^---[ \t]*\n/, '');
    const source = /^# Source: (.+)$/m.exec(text)?.[1]?.trim() ?? '(no # Source line)';
    return [{ source, object: object as Record<string, unknown>, text }];
  });
}
