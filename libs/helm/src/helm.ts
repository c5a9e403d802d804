// Runs the real helm binary (installed by tools/setup/setup.mjs) the way kustomize's helmCharts (inside
// Argo CD's build of the platform folder) runs `helm template`, and splits its output into objects that
// keep the chart template each one came from.
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { shownPath, toolTimeoutMs, toolTimeoutVariable } from '@flyte-gkp/diagnostics';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';

export interface HelmSettings {
  /** absolute path of the helm binary */
  binary: string;
  /** a render that takes longer is a broken tool, not a verdict on the chart */
  timeoutMs: number;
}

/** What `helm template` is given for one chart: release, chart, namespace, Kubernetes version, values. */
export interface TemplateRequest {
  /** the kustomization's `releaseName` */
  releaseName: string;
  /** the chart as a folder */
  chartDir: string;
  /** the kustomization's `namespace` (Flyte's system namespace) */
  namespace: string;
  /** the cluster's Kubernetes version, X.Y.Z */
  kubeVersion: string;
  /** value files, in order, as absolute paths */
  valueFiles: string[];
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
  return { binary: join(repoRoot, '.tools/bin/helm'), timeoutMs: toolTimeoutMs() };
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
    throw new HelmUnavailableError(`no chart at ${shownPath(chartDir)}: ${SETUP_HINT} (it unpacks the chart from FLYTE_CHART or its pinned URL)`);
  }
}

/** The arguments of `helm template` (no shell in between). */
export function templateArguments(request: TemplateRequest): string[] {
  return [
    'template', request.releaseName, request.chartDir,
    '--namespace', request.namespace,
    '--kube-version', request.kubeVersion,
    ...request.valueFiles.flatMap((file) => ['--values', file]),
  ];
}

/** Renders the chart; a chart that fails to render (bad values) is reported as helm's own message. */
export async function helmTemplate(request: TemplateRequest, settings: HelmSettings): Promise<ChartObject[]> {
  checkInstalled(settings, request.chartDir);
  const result = await execa(settings.binary, templateArguments(request), {
    reject: false,
    stdin: 'ignore',
    timeout: settings.timeoutMs,
    // helm reads no user config, repositories or plugins: the render depends on its arguments alone.
    env: { HELM_CONFIG_HOME: '/nonexistent', HELM_CACHE_HOME: '/nonexistent', HELM_DATA_HOME: '/nonexistent' },
  });
  if (result.timedOut) {
    throw new HelmUnavailableError(`helm at ${shownPath(settings.binary)} did not finish within ${settings.timeoutMs / 1000} s: set ${toolTimeoutVariable} for more time, ${SETUP_HINT} if the binary is broken`);
  }
  if (result.exitCode !== 0) {
    const detail = String(result.stderr || result.stdout || '').trim().slice(0, 2000) || '(no output)';
    if (result.exitCode === undefined) throw new HelmUnavailableError(`helm at ${shownPath(settings.binary)} could not run (${result.shortMessage}): ${SETUP_HINT}`);
    throw new HelmTemplateError(detail);
  }
  return parseTemplateOutput(result.stdout);
}

/** helm ran and refused the chart with these values (e.g. a template error): a finding, not a setup problem. */
export class HelmTemplateError extends Error {
  override name = 'HelmTemplateError';
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
