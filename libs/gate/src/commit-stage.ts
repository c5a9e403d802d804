import { join } from 'node:path';
import {
  commitStaged,
  prepareStaging,
  writeStaged,
  type StagedFolder,
  type Tree,
  type WriteSession,
} from '@flyte-gkp/output';
import type { RenderedFile } from '@flyte-gkp/render';
import { clustersDir } from './drift-stage.js';

/**
 * Stage "commit", render only: what changed in every cluster folder is staged aside (libs/output), checked
 * there, and then committed for every cluster at once, or dropped.
 */
export interface Staged {
  session: WriteSession;
  folders: StagedFolder[];
  /** Is `path` (relative to the cluster folder `name`) a manifest of the render. */
  isManifest(path: string, name: string): boolean;
}

const inCluster = (name: string, files: RenderedFile[]) =>
  new Map(files.map((f) => [f.path.slice(`${clustersDir}/${name}/`.length), f.content]));
const inParent = (tree: Tree) =>
  new Map([...tree].map(([path, content]) => [path.slice(`${clustersDir}/`.length), content]));

export const clustersFolder = (root: string) => join(root, clustersDir);

/**
 * A project's files change together and go together: its folder (clusterPaths' projects/<id>/) is
 * swapped whole; every other file of the cluster folder, a shared one, on its own.
 */
const projectFolder = (path: string) => /^projects\/[^/]+(?=\/)/.exec(path)?.[0] ?? path;

/**
 * Finds what differs from the committed files (`committed`: cluster name → files, as the tree holds them);
 * writes nothing yet.
 */
export async function stageRender(
  session: WriteSession,
  rendered: Map<string, RenderedFile[]>,
  committed: Map<string, Tree>,
): Promise<Staged> {
  const folders = await prepareStaging(
    session,
    new Map([...rendered].map(([name, files]) => [name, inCluster(name, files)])),
    new Map([...committed].map(([name, tree]) => [name, inParent(tree)])),
    { unitOf: projectFolder },
  );
  const manifests = new Map(
    [...rendered].map(([name, files]) => [
      name,
      new Set(files.filter((f) => f.type === 'manifest').map((f) => f.path.slice(`${clustersDir}/${name}/`.length))),
    ]),
  );
  return { session, folders, isManifest: (path, name) => manifests.get(name)?.has(path) ?? false };
}

/** Writes the staged files that `which` selects (all by default): in two calls, work can start on the first ones. */
export const writeStagedFiles = (staged: Staged, which?: (path: string, name: string) => boolean) =>
  writeStaged(staged.folders, which);

/** Makes the staged render the committed one and removes the folders of clusters no longer defined; what changed. */
export async function commitRender(staged: Staged, orphans: string[]): Promise<string[]> {
  await commitStaged(staged.session, staged.folders, orphans);
  return staged.folders
    .flatMap((s) => [...s.written, ...s.removed].map((path) => `${clustersDir}/${s.name}/${path}`))
    .sort();
}
