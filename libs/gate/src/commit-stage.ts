import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { commitStaged, discardStaged, prepareStaging, writeStaged, type StagedFolder, type Tree } from '@flyte-gkp/output';
import type { RenderedFile } from '@flyte-gkp/render';
import { clustersDir } from './drift-stage.js';

/**
 * Stage "commit", render only: what changed in every cluster folder is staged aside (libs/output), checked
 * there, and then committed for every cluster at once, or dropped.
 */
export interface Staged {
  folders: StagedFolder[];
  /** Is `path` (relative to the cluster folder `name`) a manifest of the render. */
  isManifest(path: string, name: string): boolean;
}

const inCluster = (name: string, files: RenderedFile[]) => new Map(files.map((f) => [f.path.slice(`${clustersDir}/${name}/`.length), f.content]));
const inParent = (tree: Tree) => new Map([...tree].map(([path, content]) => [path.slice(`${clustersDir}/`.length), content]));

/** Finds what differs from the committed files (`committed`: cluster name → files, as the tree holds them); writes nothing yet. */
export async function stageRender(root: string, rendered: Map<string, RenderedFile[]>, committed: Map<string, Tree>): Promise<Staged> {
  const parent = join(root, clustersDir);
  const folders = await prepareStaging(parent, new Map([...rendered].map(([name, files]) => [name, inCluster(name, files)])), new Map([...committed].map(([name, tree]) => [name, inParent(tree)])));
  const manifests = new Map([...rendered].map(([name, files]) => [name, new Set(files.filter((f) => f.type === 'manifest').map((f) => f.path.slice(`${clustersDir}/${name}/`.length)))]));
  return { folders, isManifest: (path, name) => manifests.get(name)?.has(path) ?? false };
}

/** Writes the staged files that `which` selects (all by default): in two calls, work can start on the first ones. */
export const writeStagedFiles = (staged: Staged, which?: (path: string, name: string) => boolean) => writeStaged(staged.folders, which);

export const discardRender = (staged: Staged) => discardStaged(staged.folders);

/** Makes the staged render the committed one, removes the folders of clusters no longer defined; what changed. */
export async function commitRender(root: string, staged: Staged, orphans: string[]): Promise<string[]> {
  const parent = join(root, clustersDir);
  await commitStaged(parent, staged.folders);
  for (const name of orphans) await rm(join(parent, name), { recursive: true, force: true });
  return staged.folders.flatMap((s) => [...s.written, ...s.removed].map((path) => `${clustersDir}/${s.name}/${path}`)).sort();
}
