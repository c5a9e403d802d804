// Runs the real kustomize binary (installed by tools/setup/setup.mjs) the way Argo CD builds a kustomize
// source when its argocd-cm sets `kustomize.buildOptions: --enable-helm`: a chart listed under
// `helmCharts` is inflated by the real helm, then kustomize's own transformers (images, patches) apply.
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shownPath, toolTimeoutMs, toolTimeoutVariable } from '@flyte-gkp/diagnostics';
import { helmSettings, parseTemplateOutput } from '@flyte-gkp/helm';
import { execa } from 'execa';

/** One `helmCharts` entry of a kustomization: what kustomize pulls and how it runs `helm template`. */
export interface HelmChartInflation {
  name: string;
  /** the chart repository, `oci://…` for an OCI registry */
  repo: string;
  version: string;
  releaseName: string;
  namespace: string;
  /** relative to the kustomization's folder */
  valuesFile: string;
}

/** An `images` entry: every container running `name` (any tag) runs `newName:newTag` instead. */
export interface ImageOverride {
  name: string;
  newName: string;
  newTag: string;
}

/** A JSON 6902 patch of the objects `target` selects. */
export interface TargetedPatch {
  target: { group?: string; version?: string; kind: string; name: string };
  /** the patch, as YAML text */
  patch: string;
}

/** The kustomization.yaml this repository writes (only the fields it uses). */
export interface Kustomization {
  apiVersion: 'kustomize.config.k8s.io/v1beta1';
  kind: 'Kustomization';
  helmCharts: HelmChartInflation[];
  /** files beside the kustomization whose objects join the chart's */
  resources?: string[];
  images?: ImageOverride[];
  patches?: TargetedPatch[];
}

export interface KustomizeSettings {
  /** absolute path of the kustomize binary */
  binary: string;
  /** the helm kustomize runs to inflate a chart */
  helmBinary: string;
  timeoutMs: number;
}

/** What Argo CD passes to `kustomize build` for a kustomize source. */
export interface BuildRequest {
  /** the kustomization's folder */
  dir: string;
  /** the destination cluster's Kubernetes version, X.Y.Z (Argo CD passes it as --helm-kube-version) */
  kubeVersion: string;
}

/** One object of the build. */
export interface BuiltObject {
  object: Record<string, unknown>;
  /** its YAML as kustomize wrote it */
  text: string;
}

export interface Build {
  objects: BuiltObject[];
  /** What helm printed for kustomize (the chart before images and patches), `# Source:` lines and all. */
  helmOutput: string;
}

/** kustomize or helm cannot be used: a setup problem, not a verdict on the folder. */
export class KustomizeUnavailableError extends Error {
  override name = 'KustomizeUnavailableError';
}

/** kustomize ran and refused the folder (a patch that does not apply, a chart that does not render): a finding. */
export class KustomizeBuildError extends Error {
  override name = 'KustomizeBuildError';
}

const SETUP_HINT = 'run `npm run setup`';

/** The binaries as tools/setup/setup.mjs installs them under <repoRoot>/.tools. */
export function kustomizeSettings(repoRoot: string): KustomizeSettings {
  return {
    binary: join(repoRoot, '.tools/bin/kustomize'),
    helmBinary: helmSettings(repoRoot).binary,
    timeoutMs: toolTimeoutMs(),
  };
}

/**
 * Where kustomize looks for a chart before pulling it: `charts/<name>-<version>/<name>` in the
 * kustomization's folder (its default chartHome, for an entry with a repo and a version).
 */
export function pulledChartFolder(dir: string, chart: HelmChartInflation): string {
  return join(dir, 'charts', `${chart.name}-${chart.version}`, chart.name);
}

/**
 * The arguments Argo CD v2.14 gives kustomize with `--enable-helm` (util/kustomize: `build <path>`, the
 * build options, `--helm-kube-version`), plus `--helm-command`: Argo CD's repo-server finds helm on its PATH.
 */
export function buildArguments(request: BuildRequest, settings: KustomizeSettings): string[] {
  return [
    'build',
    request.dir,
    '--enable-helm',
    '--helm-kube-version',
    request.kubeVersion,
    '--helm-command',
    settings.helmBinary,
  ];
}

/**
 * The helm kustomize runs: the real one (FLYTE_GKP_HELM), what it prints kept in FLYTE_GKP_HELM_OUTPUT
 * as well. kustomize drops helm's `# Source:` lines; this keeps them without rendering the chart twice.
 */
const keepingHelm = `#!/bin/sh
"$FLYTE_GKP_HELM" "$@" >"$FLYTE_GKP_HELM_OUTPUT" || { status=$?; cat "$FLYTE_GKP_HELM_OUTPUT"; exit $status; }
exec cat "$FLYTE_GKP_HELM_OUTPUT"
`;

function checkInstalled(settings: KustomizeSettings): void {
  for (const [tool, binary] of [
    ['kustomize', settings.binary],
    ['helm', settings.helmBinary],
  ]) {
    try {
      accessSync(binary, constants.X_OK);
    } catch {
      throw new KustomizeUnavailableError(`${tool} not found at ${shownPath(binary)}: ${SETUP_HINT}`);
    }
  }
}

/** Builds the folder; objects are read as Kubernetes' decoder reads them (YAML 1.1), as Argo CD does. */
export async function kustomizeBuild(request: BuildRequest, settings: KustomizeSettings): Promise<Build> {
  checkInstalled(settings);
  const helmDir = await mkdtemp(join(tmpdir(), 'flyte-gkp-helm-'));
  try {
    const helm = join(helmDir, 'helm');
    const helmOutput = join(helmDir, 'output.yaml');
    await writeFile(helm, keepingHelm, { mode: 0o755 });
    const result = await execa(settings.binary, buildArguments(request, { ...settings, helmBinary: helm }), {
      reject: false,
      stdin: 'ignore',
      timeout: settings.timeoutMs,
      // kustomize gives helm its own scratch config; no user config, repositories or plugins are read.
      env: {
        HELM_CONFIG_HOME: '/nonexistent',
        HELM_CACHE_HOME: '/nonexistent',
        HELM_DATA_HOME: '/nonexistent',
        KUSTOMIZE_PLUGIN_HOME: '/nonexistent',
        FLYTE_GKP_HELM: settings.helmBinary,
        FLYTE_GKP_HELM_OUTPUT: helmOutput,
      },
    });
    if (result.timedOut) {
      throw new KustomizeUnavailableError(
        `kustomize at ${shownPath(settings.binary)} did not finish within ${settings.timeoutMs / 1000} s: ` +
          `set ${toolTimeoutVariable} for more time, ${SETUP_HINT} if the binary is broken`,
      );
    }
    if (result.exitCode === undefined)
      throw new KustomizeUnavailableError(
        `kustomize at ${shownPath(settings.binary)} could not run (${result.shortMessage}): ${SETUP_HINT}`,
      );
    if (result.exitCode !== 0) {
      const detail =
        String(result.stderr || result.stdout || '')
          .trim()
          .replaceAll(request.dir, '.')
          .replaceAll(helm, 'helm')
          .slice(0, 2000) || '(no output)';
      throw new KustomizeBuildError(detail);
    }
    const objects = parseTemplateOutput(result.stdout).map(({ object, text }) => ({ object, text }));
    return { objects, helmOutput: await readFile(helmOutput, 'utf8').catch(() => '') };
  } finally {
    await rm(helmDir, { recursive: true, force: true });
  }
}
