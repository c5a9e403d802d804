import type { Diagnostic } from '@flyte-gkp/diagnostics';
import { compareTrees, unifiedDiff, type Tree } from '@flyte-gkp/output';
import type { Platform } from '@flyte-gkp/platform';
import type { RenderedFile } from '@flyte-gkp/render';
import { filesUnder, textOf, type RepoTree } from './read-tree.js';
import type { Scope } from './scope.js';

export const renderCommand = 'npm run render';
export const clustersDir = 'clusters';

/** The committed regular files of each cluster folder that `inScope` accepts (repository paths). */
export function committedPaths(tree: RepoTree, platform: Platform, inScope: Scope): Map<string, string[]> {
  return new Map(
    platform.clusters.map(({ cluster }) => [
      cluster.name,
      filesUnder(tree, `${clustersDir}/${cluster.name}`).filter(inScope),
    ]),
  );
}

/** Those files with their text: repository path → text. */
export function committedFiles(tree: RepoTree, paths: Map<string, string[]>): Map<string, Tree> {
  return new Map([...paths].map(([name, files]) => [name, new Map(files.map((file) => [file, textOf(tree, file)]))]));
}

/** Check stage "drift": the committed folder of a cluster is exactly its fresh render. */
export function checkDrift(clusterName: string, rendered: RenderedFile[], committed: Tree): Diagnostic[] {
  const expected: Tree = new Map(rendered.map((f) => [f.path, f.content]));
  const { added, removed, changed } = compareTrees(expected, committed);
  const fix = `run \`${renderCommand}\` and commit ${clustersDir}/${clusterName}/`;
  return [
    ...added.map((file) => ({
      file,
      rule: 'drift',
      message: 'missing: the committed output lacks this rendered file',
      fix,
      detail: unifiedDiff(file, undefined, expected.get(file)),
    })),
    ...removed.map((file) => ({
      file,
      rule: 'drift',
      message: 'not rendered from any source: edited or left behind by hand',
      fix,
      detail: unifiedDiff(file, committed.get(file), undefined),
    })),
    ...changed.map((file) => ({
      file,
      rule: 'drift',
      message: 'differs from a fresh render (edited by hand, or not rendered again after a change)',
      fix,
      detail: unifiedDiff(file, committed.get(file), expected.get(file)),
    })),
  ];
}

/** Output folders under clusters/ that no cluster definition renders any more. */
export function orphanClusterFolders(tree: RepoTree, platform: Platform): string[] {
  const defined = new Set(platform.clusters.map((c) => c.cluster.name));
  return [...tree.entries.values()]
    .filter((e) => e.type === 'directory' && /^clusters\/[^/.][^/]*$/.test(e.path))
    .map((e) => e.path.slice(`${clustersDir}/`.length))
    .filter((name) => !defined.has(name));
}

export function orphanDiagnostics(tree: RepoTree, platform: Platform): Diagnostic[] {
  return orphanClusterFolders(tree, platform).map((name) => ({
    file: `${clustersDir}/${name}`,
    rule: 'drift',
    message: `no cluster definition platform/clusters/${name}.yaml renders this folder`,
    fix: `run \`${renderCommand}\` (it removes the folder) and commit`,
  }));
}
