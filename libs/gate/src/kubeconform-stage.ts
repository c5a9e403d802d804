import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Diagnostic } from '@flyte-gkp/diagnostics';
import {
  checkInstalled,
  openVerdictCache,
  runKubeconform,
  toolchainSettings,
  type ResourceVerdict,
} from '@flyte-gkp/kubeconform';
import type { StagedFolder, Tree } from '@flyte-gkp/output';
import { externalSecretsOf, type Cluster, type Platform } from '@flyte-gkp/platform';
import { clusterPaths, type RenderedFile } from '@flyte-gkp/render';
import { textOf, type RepoTree } from './read-tree.js';

/**
 * Check stage "kubeconform": every manifest Argo CD will apply goes through the real kubeconform. The
 * verdict cache (libs/kubeconform) sits behind it: content it passed before is not checked again.
 */

export interface FileOnDisk {
  /** Relative to the folder kubeconform runs in. */
  path: string;
  /**
   * What the file holds, or how to read it: its verdict may be known from an earlier run (the verdict
   * cache). Read only when the cache knows something, or to remember the verdict once kubeconform ran.
   */
  content: string | (() => string);
}

const contentOf = (file: FileOnDisk) => (typeof file.content === 'string' ? file.content : file.content());

/**
 * Runs the real kubeconform on files that exist under `dir`, except those whose content it already
 * found valid with the same toolchain (they get no verdict: they have no finding). Verdicts name the
 * files as `prefix + path`, i.e. by their repository path, so each one traces back to its spec.
 * kubeconform has started when this returns: nothing before it waits, so the caller's next work overlaps.
 */
/** kubeconform's settings for a cluster: its Kubernetes, Argo CD and (where it runs) External Secrets schemas. */
export const clusterToolchainSettings = (root: string, cluster: Cluster) =>
  toolchainSettings(
    root,
    cluster.kubernetesVersion,
    cluster.argocd.version,
    externalSecretsOf(cluster)?.externalSecrets.version,
  );

export async function kubeconformOnDisk(
  root: string,
  cluster: Cluster,
  dir: string,
  files: FileOnDisk[],
  prefix = '',
): Promise<ResourceVerdict[]> {
  if (files.length === 0) return [];
  const settings = clusterToolchainSettings(root, cluster);
  checkInstalled(settings); // a missing binary is reported even when every verdict is known
  const cache = openVerdictCache(settings);
  const unknown = cache.knowsNothing ? files : files.filter((f) => !cache.isKnownValid(contentOf(f)));
  if (unknown.length === 0) return [];
  const verdicts = await runKubeconform(
    unknown.map((f) => f.path),
    dir,
    settings,
    { findingsOnly: true },
  );
  cache.remember(
    unknown.map((f) => ({ path: f.path, content: contentOf(f) })),
    verdicts,
  );
  await cache.save();
  return verdicts.map((v) => ({ ...v, file: prefix + v.file }));
}

/** Rendered content that is not on disk as such goes through a scratch folder, under its repository path. */
export async function kubeconformOnContent(
  root: string,
  cluster: Cluster,
  files: RenderedFile[],
): Promise<ResourceVerdict[]> {
  if (files.length === 0) return [];
  const scratch = await mkdtemp(join(tmpdir(), 'flyte-gkp-kubeconform-'));
  try {
    for (const f of files) {
      await mkdir(dirname(join(scratch, f.path)), { recursive: true });
      await writeFile(join(scratch, f.path), f.content);
    }
    return await kubeconformOnDisk(root, cluster, scratch, files);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Verdicts on the committed manifests of each cluster, by cluster name. */
export type EarlyVerdicts = Map<string, Promise<ResourceVerdict[]>>;

/** No early run: every manifest is checked as rendered. */
export const noVerdicts = (): EarlyVerdicts => new Map();

/**
 * Starts kubeconform on the committed manifests (`paths`: repository paths by cluster) at once, so it
 * runs while the specs load, render and lint; a file is read when the verdict cache asks for it. Where
 * a committed file equals its fresh render, its verdicts are the render's.
 */
export function kubeconformCommitted(
  root: string,
  platform: Platform,
  tree: RepoTree,
  paths: Map<string, string[]>,
): EarlyVerdicts {
  const running: EarlyVerdicts = new Map();
  for (const { cluster } of platform.clusters) {
    // What Argo CD builds the chart from is no manifest (the chart stage checks the build): asked of
    // kubeconform, the kustomization got no verdict to keep, and started it on every render.
    const { flyteValues, platformKustomization } = clusterPaths(cluster);
    const files = (paths.get(cluster.name) ?? [])
      .filter((path) => path.endsWith('.yaml') && path !== flyteValues && path !== platformKustomization)
      .map((path) => ({ path, content: () => textOf(tree, path) }));
    const verdicts = kubeconformOnDisk(root, cluster, root, files);
    verdicts.catch(() => undefined); // awaited later; a failure must not surface as unhandled meanwhile
    running.set(cluster.name, verdicts);
  }
  return running;
}

/**
 * The findings on a cluster's rendered manifests: those committed as rendered take the verdicts of the
 * early run on the committed files, the others are checked as rendered.
 */
export async function checkKubeconform(
  root: string,
  cluster: Cluster,
  manifests: RenderedFile[],
  committed: Tree,
  early: Promise<ResourceVerdict[]>,
): Promise<Diagnostic[]> {
  const unchanged = new Set(manifests.filter((f) => committed.get(f.path) === f.content).map((f) => f.path));
  const [fromDisk, fromContent] = await Promise.all([
    early,
    kubeconformOnContent(
      root,
      cluster,
      manifests.filter((f) => !unchanged.has(f.path)),
    ),
  ]);
  return verdictDiagnostics([...fromDisk.filter((v) => unchanged.has(v.file)), ...fromContent], manifests);
}

/**
 * The findings on a cluster's rendered manifests as render staged them (`folder`: its staging folder):
 * those it wrote there are checked there, the others take the early verdicts on the committed files.
 */
export async function checkKubeconformStaged(
  root: string,
  cluster: Cluster,
  folder: StagedFolder,
  manifests: RenderedFile[],
  early: Promise<ResourceVerdict[]>,
): Promise<Diagnostic[]> {
  const prefix = `clusters/${cluster.name}/`;
  const changed = new Set(folder.written.map((path) => prefix + path));
  const staged = manifests
    .filter((f) => changed.has(f.path))
    .map((f) => ({ path: f.path.slice(prefix.length), content: f.content }));
  const unchanged = new Set(manifests.filter((f) => !changed.has(f.path)).map((f) => f.path));
  const [fromStaging, fromDisk] = await Promise.all([
    kubeconformOnDisk(root, cluster, folder.folder, staged, prefix),
    early,
  ]);
  return verdictDiagnostics([...fromStaging, ...fromDisk.filter((v) => unchanged.has(v.file))], manifests);
}

/** Findings for the verdicts that fail, named by the rendered file and the spec it came from. */
export function verdictDiagnostics(verdicts: ResourceVerdict[], files: RenderedFile[]): Diagnostic[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  return verdicts
    .filter((v) => v.status === 'invalid' || v.status === 'error')
    .map((v) => {
      const file = byPath.get(v.file);
      const origin = file?.project ? ` (rendered from ${file.sources[0]})` : '';
      const details = v.errors.map((e) => `${e.path || '/'}: ${e.message}`);
      const subject = v.kind ? `${v.kind} ${v.name}` : 'the file';
      // Without a kind, kubeconform could not even read the file as YAML: no schema is to blame.
      const fix = !v.kind
        ? 'the renderer wrote YAML that Kubernetes cannot read: a renderer bug, report it with the spec named above'
        : v.status === 'error'
          ? 'a schema is missing or unreadable: run `npm run setup`, or check the schema locations'
          : 'the renderer produced an object the cluster would reject: ' +
            'fix the renderer or the platform input named above';
      return {
        file: v.file,
        rule: 'kubeconform',
        message: `${subject}: ${v.status === 'error' ? v.message : 'does not match the Kubernetes schema'}${origin}`,
        fix,
        detail: details.length ? details.join('\n') : undefined,
      };
    });
}
