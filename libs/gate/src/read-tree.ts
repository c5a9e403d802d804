import { lstatSync, readdirSync, readFileSync, readlinkSync, type Dirent, type Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { decodeUtf8, type FileSource } from '@flyte-gkp/project-spec';

/**
 * Stage 1 of the gate, "read tree": what a checkout holds under the folders the gate reads, entry by
 * entry, as git and Argo CD see it. A link is recorded as a link, never followed; a FIFO or a socket is
 * recorded, never opened. Nothing else in the gate reads the workspace before render's commit.
 */

/**
 * What the gate reads: the inputs (projects/, platform/), the output Argo CD syncs (clusters/) and the
 * review rule GitHub reads (.github/CODEOWNERS), rendered with it.
 */
export const treeFolders = ['platform', 'projects', 'clusters', '.github/CODEOWNERS'] as const;

export type EntryType = 'file' | 'symlink' | 'directory' | 'other';

export interface TreeEntry {
  /** Repository-relative, `/`-separated. */
  path: string;
  type: EntryType;
  /** What a symlink points to, as written in the link. */
  target?: string;
}

export interface RepoTree {
  /** Every entry under the folders read, the folders themselves included; absent folders have none. */
  entries: ReadonlyMap<string, TreeEntry>;
  /** The bytes of a regular file (read once, when first asked for); undefined for any other entry. */
  bytes(path: string): Buffer | undefined;
}

/** Where a tree comes from: the working tree on disk; a git revision can be another reader. */
export interface TreeReader {
  read(folders: readonly string[]): Promise<RepoTree>;
}

const typeOf = (entry: Dirent | Stats): EntryType =>
  entry.isSymbolicLink() ? 'symlink' : entry.isDirectory() ? 'directory' : entry.isFile() ? 'file' : 'other';

/**
 * The working tree under `root`. Each folder is listed once (readdir reports types as lstat does, and
 * never descends into a linked folder); a file's content is read only when a stage asks for it, once.
 */
export function diskTree(root: string): TreeReader {
  return {
    async read(folders) {
      const entries = new Map<string, TreeEntry>();
      const add = (path: string, type: EntryType) => {
        entries.set(path, type === 'symlink' ? { path, type, target: readlinkSync(join(root, path)) } : { path, type });
      };
      for (const folder of folders) {
        let top: Stats;
        try {
          top = lstatSync(join(root, folder));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw error;
        }
        add(folder, typeOf(top));
        if (!top.isDirectory()) continue;
        // Listed synchronously: 6,256 files in ~40 ms, where the promise version takes ~250 ms.
        for (const entry of readdirSync(join(root, folder), { recursive: true, withFileTypes: true })) {
          add(relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'), typeOf(entry));
        }
      }
      const sorted = new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      const contents = new Map<string, Buffer>();
      return {
        entries: sorted,
        bytes(path) {
          if (sorted.get(path)?.type !== 'file') return undefined;
          // Read one after the other, synchronously: for thousands of small files, three times as fast as
          // promises (each costs four trips through libuv's thread pool: open, stat, read, close).
          if (!contents.has(path)) contents.set(path, readFileSync(join(root, path)));
          return contents.get(path);
        },
      };
    },
  };
}

/** The regular files directly or deeply under `dir` (a repository path), sorted. */
export function filesUnder(tree: RepoTree, dir: string): string[] {
  const prefix = `${dir}/`;
  return [...tree.entries.values()].filter((e) => e.type === 'file' && e.path.startsWith(prefix)).map((e) => e.path);
}

/** The text of a regular file in the tree (UTF-8; the drift check compares it with a render). */
export const textOf = (tree: RepoTree, path: string): string => tree.bytes(path)?.toString('utf8') ?? '';

/** The tree as the loaders read files: regular files only, text that is not UTF-8 refused where it is. */
export function treeSource(tree: RepoTree): FileSource {
  return {
    async list(dir) {
      const prefix = `${dir}/`;
      return [...tree.entries.values()]
        .filter((e) => e.type === 'file' && e.path.startsWith(prefix) && !e.path.slice(prefix.length).includes('/'))
        .map((e) => e.path.slice(prefix.length));
    },
    async read(file) {
      const bytes = tree.bytes(file);
      return bytes && decodeUtf8(file, bytes);
    },
  };
}
