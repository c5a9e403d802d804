import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { createTwoFilesPatch } from 'diff';

/** Repository-relative path → content. */
export type Tree = Map<string, string>;

/**
 * The files under `dir` (repository-relative to `root`) that `keep` accepts, sorted; none for an absent
 * folder. Listed synchronously: 6,256 files in ~40 ms, where the promise version takes ~250 ms.
 */
export function listTree(root: string, dir: string, keep: (path: string) => boolean = () => true): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(root, dir), { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter(keep)
    .sort();
}

/** The files (repository paths, as listTree gives them) with their content. */
export function readFiles(root: string, files: readonly string[]): Tree {
  // Read one after the other, synchronously: for thousands of small files, three times as fast as
  // promises (each costs four trips through libuv's thread pool: open, stat, read, close).
  return new Map(files.map((file) => [file, readFileSync(join(root, file), 'utf8')]));
}

/** Every file listTree lists, with its content. */
export async function readTree(root: string, dir: string, keep: (path: string) => boolean = () => true): Promise<Tree> {
  return readFiles(root, listTree(root, dir, keep));
}

export interface TreeDifference {
  added: string[];
  removed: string[];
  changed: string[];
}

/** What `actual` (on disk) lacks, has in excess or has otherwise, against `expected` (a fresh render). */
export function compareTrees(expected: Tree, actual: Tree): TreeDifference {
  const added = [...expected.keys()].filter((p) => !actual.has(p)).sort();
  const removed = [...actual.keys()].filter((p) => !expected.has(p)).sort();
  const changed = [...expected.keys()].filter((p) => actual.has(p) && actual.get(p) !== expected.get(p)).sort();
  return { added, removed, changed };
}

/** A unified diff from the committed file to the fresh render, as `git diff` would show the fix. */
export function unifiedDiff(path: string, committed: string | undefined, rendered: string | undefined): string {
  return createTwoFilesPatch(
    committed === undefined ? '/dev/null' : `a/${path}`,
    rendered === undefined ? '/dev/null' : `b/${path}`,
    committed ?? '',
    rendered ?? '',
    undefined,
    undefined,
    { context: 2 },
  )
    .split('\n')
    .slice(1) // the "Index:" and separator lines add nothing for a reader
    .filter((line) => !/^=+$/.test(line))
    .join('\n');
}
