import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * clusters/<name>/ is replaced as a whole: the new tree is written aside, then swapped in with two
 * renames. A render killed while writing leaves the old tree untouched; one killed between the two
 * renames leaves `.previous-<name>`, which recoverInterruptedWrite puts back.
 */
const staging = (name: string) => `.staging-${name}`;
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
  await rm(join(parent, staging(name)), { recursive: true, force: true });
}

/** Replaces `<parent>/<name>/` with exactly `files` (paths relative to that folder). */
export async function replaceFolderAtomically(parent: string, name: string, files: ReadonlyMap<string, string>): Promise<void> {
  await recoverInterruptedWrite(parent, name);
  const next = join(parent, staging(name));
  await mkdir(next, { recursive: true });
  for (const [path, content] of files) {
    await mkdir(dirname(join(next, path)), { recursive: true });
    await writeFile(join(next, path), content);
  }
  const current = join(parent, name);
  const old = join(parent, previous(name));
  const hadCurrent = await exists(current);
  if (hadCurrent) await rename(current, old);
  await rename(next, current);
  if (hadCurrent) await rm(old, { recursive: true, force: true });
}
