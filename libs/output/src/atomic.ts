import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { inBatches } from './batches.js';
import { readTree, type Tree } from './tree.js';
import { writeFileAtomically } from './write-file.js';

/**
 * Folders under `parent` (clusters/<name>/) are updated all together or not at all, and only where a
 * file changed, so a render after one spec changed writes that spec's files, not all of them:
 *
 * 1. stage: each file that differs from the one on disk is written aside, into `.staging-<name>/`
 *    (prepareStaging finds them, writeStaged writes them: some first, if the caller needs them early);
 * 2. commit: one plan (`.render-plan.json`), naming per folder the files to move in and to delete, is
 *    written and renamed into place: the point of no return;
 * 3. apply: the staged files are renamed over the old ones, the others deleted, then the plan goes.
 *
 * Killed before the plan lands, the staging folders are dropped and every folder is as it was. Killed
 * after, the next run (recoverInterruptedWrite) applies the plan again: each step can be repeated.
 */
const planFile = '.render-plan.json';
const stagingPrefix = '.staging-';

export interface StagedFolder {
  name: string;
  /** The staging folder: it holds the `written` files. */
  folder: string;
  /** Files (relative to the folder) that are new or changed. */
  written: string[];
  /** Files on disk that the new tree does not have. */
  removed: string[];
  /** The folder does not exist yet: the staging folder becomes it, in one rename. */
  whole: boolean;
  /** The new tree: path (relative to the folder) → content. */
  files: ReadonlyMap<string, string>;
}

interface Plan {
  folders: Omit<StagedFolder, 'folder' | 'files'>[];
}

/**
 * Finds, for each folder (name → its files, paths relative to `<parent>/<name>/`), what differs from
 * the disk; writes nothing yet (writeStaged does). A write a killed run left behind is recovered first.
 * `onDisk` (name → files as `readTree(parent, name)` gives them) spares reading a folder the caller has
 * read already.
 */
export async function prepareStaging(parent: string, folders: ReadonlyMap<string, ReadonlyMap<string, string>>, onDisk: ReadonlyMap<string, Tree> = new Map()): Promise<StagedFolder[]> {
  await recoverInterruptedWrite(parent);
  const staged: StagedFolder[] = [];
  for (const [name, files] of folders) {
    const folder = join(parent, `${stagingPrefix}${name}`);
    const whole = !existsSync(join(parent, name));
    const tree = whole ? new Map<string, string>() : (onDisk.get(name) ?? (await readTree(parent, name)));
    const current = new Map([...tree].map(([path, content]) => [path.slice(name.length + 1), content]));
    const written = [...files.keys()].filter((path) => current.get(path) !== files.get(path));
    const removed = [...current.keys()].filter((path) => !files.has(path));
    staged.push({ name, folder, written, removed, whole, files });
  }
  return staged;
}

/**
 * Writes the new and changed files that `which` selects (path in the folder, folder name; all by
 * default) into the staging folders. In two calls, the caller can start work on the first files
 * (kubeconform) while the others are written.
 */
export async function writeStaged(staged: StagedFolder[], which: (path: string, name: string) => boolean = () => true): Promise<void> {
  for (const { name, folder, written, files } of staged) {
    const selected = written.filter((path) => which(path, name));
    await makeFolders(folder, selected);
    await inBatches(selected, (path) => writeFile(join(folder, path), files.get(path)!));
  }
}

/** Makes every staged folder the new tree: after this returns, or once a killed run is recovered. */
export async function commitStaged(parent: string, staged: StagedFolder[]): Promise<void> {
  const plan: Plan = { folders: staged.map(({ name, written, removed, whole }) => ({ name, written, removed, whole })) };
  await writeFileAtomically(join(parent, planFile), JSON.stringify(plan));
  await applyPlan(parent, plan);
}

export async function discardStaged(staged: StagedFolder[]): Promise<void> {
  for (const { folder } of staged) await rm(folder, { recursive: true, force: true });
}

/** Finishes a committed write that was killed, drops an uncommitted one; harmless when none was interrupted. */
export async function recoverInterruptedWrite(parent: string): Promise<void> {
  const text = await readFile(join(parent, planFile), 'utf8').catch(() => undefined);
  if (text !== undefined) await applyPlan(parent, JSON.parse(text) as Plan);
  const leftovers = await readdir(parent).catch(() => []);
  const unfinished = (entry: string) => entry.startsWith(stagingPrefix) || (entry.startsWith(`${planFile}.`) && entry.endsWith('.tmp'));
  for (const entry of leftovers.filter(unfinished)) await rm(join(parent, entry), { recursive: true, force: true });
}

/** Each step checks what is done already, so a plan applied twice gives the same tree. */
async function applyPlan(parent: string, plan: Plan): Promise<void> {
  for (const { name, written, removed, whole } of plan.folders) {
    const target = join(parent, name);
    const staging = join(parent, `${stagingPrefix}${name}`);
    if (whole) {
      if (existsSync(staging) && !existsSync(target)) await rename(staging, target);
    } else {
      // Deletions first: a file may give way to a folder of the same name, or the other way round.
      await inBatches(removed, (path) => rm(join(target, path), { force: true }).catch(unlessGone));
      await removeEmptyFolders(target, removed);
      await makeFolders(target, written);
      await inBatches(written, (path) => rename(join(staging, path), join(target, path)).catch(unlessGone));
    }
    await rm(staging, { recursive: true, force: true });
  }
  await rm(join(parent, planFile), { force: true });
}

/** Done already, by the run that was killed (a deleted file may be a folder of the new tree by now). */
function unlessGone(error: NodeJS.ErrnoException): void {
  if (!['ENOENT', 'ENOTDIR', 'EISDIR', 'ERR_FS_EISDIR'].includes(error.code ?? '')) throw error;
}

async function makeFolders(root: string, paths: string[]): Promise<void> {
  for (const dir of [...new Set(paths.map((path) => dirname(join(root, path))))].sort()) await mkdir(dir, { recursive: true });
}

/** The folders the deleted files leave empty (a removed project's), deepest first. */
async function removeEmptyFolders(target: string, removed: string[]): Promise<void> {
  const folders = new Set<string>();
  for (const path of removed) for (let dir = dirname(path); dir !== '.'; dir = dirname(dir)) folders.add(dir);
  for (const dir of [...folders].sort((a, b) => b.split('/').length - a.split('/').length || a.localeCompare(b))) {
    await rmdir(join(target, dir)).catch(() => undefined); // not empty: it still holds files
  }
}
