import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { inBatches } from './batches.js';

/**
 * clusters/<name>/ is replaced as a whole: the new tree is written aside (staged), checked, then swapped
 * in with two renames. A render killed while writing leaves the old tree untouched; one killed between
 * the two renames leaves `.previous-<name>`, which recoverInterruptedWrite puts back.
 */
export const stagingFolder = (name: string) => `.staging-${name}`;
const previous = (name: string) => `.previous-${name}`;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Restores what a killed write left behind; harmless when nothing was interrupted. */
export async function recoverInterruptedWrite(parent: string, name: string): Promise<void> {
  const current = join(parent, name);
  const old = join(parent, previous(name));
  if ((await exists(old)) && !(await exists(current))) await rename(old, current);
  await rm(old, { recursive: true, force: true });
  await rm(join(parent, stagingFolder(name)), { recursive: true, force: true });
}

/** Writes `files` (paths relative to the folder) into `<parent>/.staging-<name>/`, and returns that folder. */
export async function stageFolder(parent: string, name: string, files: ReadonlyMap<string, string>): Promise<string> {
  await recoverInterruptedWrite(parent, name);
  const staged = join(parent, stagingFolder(name));
  const folders = new Set([...files.keys()].map((path) => dirname(join(staged, path))));
  for (const folder of [...folders].sort()) await mkdir(folder, { recursive: true });
  await inBatches([...files], ([path, content]) => writeFile(join(staged, path), content));
  return staged;
}

/** Swaps a staged folder in place of `<parent>/<name>/`. */
export async function commitStagedFolder(parent: string, name: string): Promise<void> {
  const current = join(parent, name);
  const old = join(parent, previous(name));
  const hadCurrent = await exists(current);
  if (hadCurrent) await rename(current, old);
  await rename(join(parent, stagingFolder(name)), current);
  if (hadCurrent) await rm(old, { recursive: true, force: true });
}

export async function discardStagedFolder(parent: string, name: string): Promise<void> {
  await rm(join(parent, stagingFolder(name)), { recursive: true, force: true });
}
