import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import type { EntryType, RepoTree, TreeEntry, TreeReader } from './read-tree.js';

/**
 * Stage 1, "read tree", at a git revision: the tree as that commit holds it, read from git's objects
 * (`git ls-tree` and one `git cat-file --batch`), never from the working tree, which stays untouched.
 */

/** A revision that names no commit: the user's to fix (a usage error), not a failure of the gate. */
export class RevisionError extends Error {
  constructor(
    readonly revision: string,
    detail: string,
  ) {
    super(`--base ${revision}: ${detail}`);
    this.name = 'RevisionError';
  }
}

/** A tree with the object id of each file and link, as git names content: equal ids, equal bytes. */
export interface GitRepoTree extends RepoTree {
  oid(path: string): string | undefined;
  /** Reads these files' contents in one `git cat-file --batch`; bytes() of any other reads it alone. */
  prefetch(paths: Iterable<string>): Promise<void>;
}

/** The object id git gives these bytes as a file (`git hash-object`), to compare a working tree with a commit. */
export const blobId = (bytes: Buffer | string) =>
  createHash('sha1')
    .update(`blob ${Buffer.byteLength(bytes)}\0`)
    .update(bytes)
    .digest('hex');

/** The commit a revision names, refused as a usage error when it names none (an option is never a revision). */
export async function resolveCommit(root: string, revision: string): Promise<string> {
  if (revision === '' || revision.startsWith('-')) throw new RevisionError(revision, 'not a git revision');
  const result = await execa('git', ['rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`], {
    cwd: root,
    reject: false,
    stdin: 'ignore',
  });
  if (result.exitCode !== 0) {
    const inRepository = await execa('git', ['rev-parse', '--git-dir'], { cwd: root, reject: false, stdin: 'ignore' });
    throw new RevisionError(
      revision,
      inRepository.exitCode === 0
        ? 'names no commit of this repository (fetch it, e.g. `git fetch origin main`)'
        : `${root} is not a git repository`,
    );
  }
  return result.stdout.trim();
}

const typeOfMode = (mode: string): EntryType =>
  mode === '040000' ? 'directory' : mode === '120000' ? 'symlink' : mode.startsWith('100') ? 'file' : 'other';

/** `git cat-file --batch` answers `<oid> <type> <size>\n<content>\n` per object asked for, in order. */
function readBatch(root: string, oids: string[]): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`git cat-file failed: ${stderr.trim()}`));
      const out = Buffer.concat(chunks);
      const blobs = new Map<string, Buffer>();
      let at = 0;
      while (at < out.length) {
        const newline = out.indexOf(10, at);
        const [oid, type, size] = out.subarray(at, newline).toString().split(' ');
        if (type === 'missing' || size === undefined)
          return reject(new Error(`git cat-file: object ${oid} is missing`));
        const start = newline + 1;
        blobs.set(oid, out.subarray(start, start + Number(size)));
        at = start + Number(size) + 1;
      }
      resolve(blobs);
    });
    child.stdin.end(oids.length ? `${oids.join('\n')}\n` : '');
  });
}

/** A TreeReader: what it reads is a GitRepoTree, with each entry's object id. */
export interface GitTreeReader extends TreeReader {
  read(folders: readonly string[]): Promise<GitRepoTree>;
}

/**
 * The tree of `commit` under the folders asked for: every entry listed by one `git ls-tree`; a file's
 * content read when a stage asks for it, many at once with prefetch (one `git cat-file --batch`).
 */
export function gitTree(root: string, commit: string): GitTreeReader {
  return {
    async read(folders) {
      const listed = await execa('git', ['ls-tree', '-r', '-t', '-z', '--full-tree', commit, '--', ...folders], {
        cwd: root,
        stdin: 'ignore',
        encoding: 'buffer',
        maxBuffer: 1 << 30,
      });
      const entries = new Map<string, TreeEntry>();
      const oids = new Map<string, string>();
      for (const record of Buffer.from(listed.stdout).toString('utf8').split('\0')) {
        if (!record) continue;
        const tab = record.indexOf('\t');
        const [mode, , oid] = record.slice(0, tab).split(' ');
        const path = record.slice(tab + 1);
        entries.set(path, { path, type: typeOfMode(mode) });
        oids.set(path, oid);
      }
      const contents = new Map<string, Buffer>();
      const prefetch = async (paths: Iterable<string>) => {
        const wanted = [
          ...new Set(
            [...paths].map((p) => oids.get(p)).filter((oid): oid is string => oid !== undefined && !contents.has(oid)),
          ),
        ];
        for (const [oid, bytes] of await readBatch(root, wanted)) contents.set(oid, bytes);
      };
      const links = [...entries.values()].filter((e) => e.type === 'symlink');
      await prefetch(links.map((e) => e.path));
      for (const link of links) link.target = contents.get(oids.get(link.path)!)!.toString('utf8');
      const sorted = new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      return {
        entries: sorted,
        oid: (path) => oids.get(path),
        prefetch,
        bytes(path) {
          if (sorted.get(path)?.type !== 'file') return undefined;
          const oid = oids.get(path)!;
          if (!contents.has(oid))
            contents.set(oid, execFileSync('git', ['cat-file', 'blob', oid], { cwd: root, maxBuffer: 1 << 30 }));
          return contents.get(oid);
        },
      };
    },
  };
}

/**
 * The paths under `folders` whose content in the working tree differs from `commit`: changed, added or
 * deleted since, committed or not, and files git does not track yet (those it ignores are no change).
 */
export async function changedSince(root: string, commit: string, folders: readonly string[]): Promise<string[]> {
  const run = (args: string[]) =>
    execa('git', args, { cwd: root, stdin: 'ignore', maxBuffer: 1 << 30 }).then((r) =>
      r.stdout.split('\0').filter(Boolean),
    );
  const [changed, untracked] = await Promise.all([
    run(['diff', '--name-only', '--no-renames', '-z', commit, '--', ...folders]),
    run(['ls-files', '--others', '--exclude-standard', '-z', '--', ...folders]),
  ]);
  return [...new Set([...changed, ...untracked])].sort();
}
