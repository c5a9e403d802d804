import { link, lstat, mkdir, mkdtemp, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { inBatches } from './batches.js';
import type { Tree } from './tree.js';
import { writeFileAtomically } from './write-file.js';

/**
 * Folders under `parent` (clusters/<name>/) are replaced all together or not at all, by one render at a
 * time. All of a render's own state lives in one folder, `<parent>/.render/`, which it creates and
 * removes:
 *
 *   lock.json          the holder's pid, and the device and inode numbers of `.render/` itself
 *   staging/<name>/    the new tree of each folder that changes: changed files written, the others
 *                      hard-linked from the folder (a file that did not change is not rewritten)
 *   plan.json          the commit point: the folders to swap in, or to remove
 *   previous/<name>/   each old folder, moved aside by its swap until every swap is done
 *
 * A commit swaps each folder with two renames. A step that fails puts every folder back as it was; a
 * render killed after the plan landed has its swaps finished by the next render, one killed before has
 * its staging dropped. Only a `.render/` whose lock.json names its own inode is ever acted on: that is
 * what git cannot carry, so a `.render/` that came from a checkout (a pull request) is refused, never
 * applied.
 */
export const stateDirName = '.render';

/** A cluster folder name: no path, no dot file, nothing a plan could use to reach outside `parent`. */
const folderName = /^[a-z0-9][a-z0-9-]*$/;

export interface StagedFolder {
  name: string;
  /** The staging folder: it holds the `written` files, and at commit the unchanged ones too. */
  folder: string;
  /** Files (relative to the folder) that are new or changed. */
  written: string[];
  /** Files on disk that the new tree does not have. */
  removed: string[];
  /** The new tree: path (relative to the folder) → content. */
  files: ReadonlyMap<string, string>;
}

interface PlannedFolder {
  name: string;
  /** false: the folder is removed (a cluster no longer defined). */
  staged: boolean;
}

interface Plan {
  folders: PlannedFolder[];
}

/** Another render holds the lock: a second one waits for it rather than mixing their files. */
export class RenderBusyError extends Error {
  override name = 'RenderBusyError';
}

/**
 * What render refuses to write into: a `.render/` that no render on this machine made (committed, or
 * copied: `state`), reported, never applied; or a `parent` that is a link (`link`), never written through.
 */
export class ForeignStateError extends Error {
  override name = 'ForeignStateError';
  constructor(
    readonly path: string,
    message: string,
    readonly kind: 'state' | 'link' = 'state',
  ) {
    super(message);
  }
}

/** The steps a commit takes on the disk; a test can make one fail. */
export interface CommitSteps {
  rename(from: string, to: string): Promise<void>;
}
const realSteps: CommitSteps = { rename };

export interface WriteSession {
  parent: string;
  /** `<parent>/.render` */
  state: string;
  /** Removes `.render/`: the lock goes last, with it. */
  release(): Promise<void>;
}

interface Lock {
  pid: number;
  dev: string;
  ino: string;
}

/** The state folders this process holds: a second render in the same process waits too. */
const held = new Set<string>();

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function writeLock(state: string): Promise<void> {
  const { dev, ino } = await lstat(state, { bigint: true });
  await writeFileAtomically(
    join(state, 'lock.json'),
    JSON.stringify({ pid: process.pid, dev: String(dev), ino: String(ino) } satisfies Lock),
  );
}

/**
 * Takes the lock on `parent` (created if absent): one render at a time. The state a killed render left
 * is recovered first: its plan applied if it had committed, its staging dropped otherwise.
 */
export async function acquireWrite(parent: string): Promise<WriteSession> {
  const linked = await lstat(parent).then(
    (info) => !info.isDirectory(),
    () => false,
  );
  if (linked)
    throw new ForeignStateError(
      basename(parent),
      `${basename(parent)} is not a folder but a link or a file: a render never writes through it`,
      'link',
    );
  const created = await mkdir(parent, { recursive: true });
  const state = join(parent, stateDirName);
  const shown = `${parent.split('/').pop()}/${stateDirName}`;
  // The lock is written in a folder of its own, which then becomes .render/ in one rename: whoever
  // finds .render/ finds its lock.json complete.
  const fresh = await mkdtemp(`${state}-lock-`);
  await writeLock(fresh);
  const taken = await rename(fresh, state).then(
    () => true,
    async (error: NodeJS.ErrnoException) => {
      await rm(fresh, { recursive: true, force: true });
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST' && error.code !== 'ENOTDIR') throw error;
      return false;
    },
  );
  if (taken) held.add(state);
  else {
    const info = await lstat(state, { bigint: true });
    const lock = await readFile(join(state, 'lock.json'), 'utf8').then(
      (text) => JSON.parse(text) as Lock,
      () => undefined,
    );
    if (!info.isDirectory() || !lock || lock.dev !== String(info.dev) || lock.ino !== String(info.ino)) {
      throw new ForeignStateError(
        shown,
        `${shown} was not left by a render on this machine (committed or copied?): it is never applied`,
      );
    }
    if (lock.pid === process.pid ? held.has(state) : alive(lock.pid)) {
      throw new RenderBusyError(
        `another render (pid ${lock.pid}) is writing ${parent.split('/').pop()}/: wait for it to finish, then run this one again (if no render runs, delete ${shown}/)`,
      );
    }
    held.add(state);
    await recover(parent, state, shown);
    await writeLock(state);
  }
  const release = async () => {
    await rm(state, { recursive: true, force: true });
    held.delete(state);
    // A render that wrote nothing leaves no clusters/ it did not find.
    if (created !== undefined) await rmdir(parent).catch(() => undefined);
  };
  return { parent, state, release };
}

/** A killed render's state: its committed plan finished, its uncommitted staging dropped. */
async function recover(parent: string, state: string, shown: string): Promise<void> {
  const text = await readFile(join(state, 'plan.json'), 'utf8').catch(() => undefined);
  if (text !== undefined) await finishPlan(parent, state, checkedPlan(text, `${shown}/plan.json`), realSteps);
  await rm(join(state, 'staging'), { recursive: true, force: true });
  await rm(join(state, 'previous'), { recursive: true, force: true });
}

/** A plan names cluster folders only; anything else is refused, naming the plan's file. */
function checkedPlan(text: string, file: string): Plan {
  let plan: Plan;
  try {
    plan = JSON.parse(text) as Plan;
  } catch {
    throw new ForeignStateError(file, `${file} is not a plan a render wrote: it is never applied`);
  }
  const folders = Array.isArray(plan?.folders) ? plan.folders : undefined;
  const bad =
    folders === undefined
      ? 'no folder list'
      : folders.map((f) => f?.name).find((name) => typeof name !== 'string' || !folderName.test(name));
  if (bad !== undefined) {
    throw new ForeignStateError(
      file,
      `${file} names ${JSON.stringify(bad)}, not a folder of ${dirname(dirname(file))}/: it is never applied`,
    );
  }
  return plan;
}

/**
 * Finds, for each folder (name → its files, paths relative to `<parent>/<name>/`), what differs from
 * `onDisk` (name → the regular files of the folder as read, repository paths under `<parent>/`'s parent
 * stripped to `<name>/...`); writes nothing yet (writeStaged does).
 */
export async function prepareStaging(
  session: WriteSession,
  folders: ReadonlyMap<string, ReadonlyMap<string, string>>,
  onDisk: ReadonlyMap<string, Tree>,
): Promise<StagedFolder[]> {
  return [...folders].map(([name, files]) => {
    const current = new Map(
      [...(onDisk.get(name) ?? new Map<string, string>())].map(([path, content]) => [
        path.slice(name.length + 1),
        content,
      ]),
    );
    const written = [...files.keys()].filter((path) => current.get(path) !== files.get(path));
    const removed = [...current.keys()].filter((path) => !files.has(path));
    return { name, folder: join(session.state, 'staging', name), written, removed, files };
  });
}

/**
 * Writes the new and changed files that `which` selects (path in the folder, folder name; all by
 * default) into the staging folders. In two calls, the caller can start work on the first files
 * (kubeconform) while the others are written.
 */
export async function writeStaged(
  staged: StagedFolder[],
  which: (path: string, name: string) => boolean = () => true,
): Promise<void> {
  for (const { name, folder, written, files } of staged) {
    const selected = written.filter((path) => which(path, name));
    await makeFolders(folder, selected);
    await inBatches(selected, (path) => writeFile(join(folder, path), files.get(path)!, { flag: 'wx' }));
  }
}

/**
 * Makes every staged folder the new tree, and removes the folders `removedFolders` names: all of them,
 * or, when a step fails, none (every folder is put back, and the error thrown).
 */
export async function commitStaged(
  session: WriteSession,
  staged: StagedFolder[],
  removedFolders: string[] = [],
  steps: CommitSteps = realSteps,
): Promise<void> {
  const changed = staged.filter((s) => s.written.length > 0 || s.removed.length > 0);
  // The staging folders become whole trees: the files that did not change are linked in, not copied.
  for (const { name, folder, written, files } of changed) {
    const target = join(session.parent, name);
    const unchanged = [...files.keys()].filter((path) => !written.includes(path));
    await mkdir(folder, { recursive: true });
    await makeFolders(folder, unchanged);
    await inBatches(unchanged, (path) => link(join(target, path), join(folder, path)));
  }
  const plan: Plan = {
    folders: [
      ...changed.map(({ name }) => ({ name, staged: true })),
      ...removedFolders.map((name) => ({ name, staged: false })),
    ],
  };
  if (plan.folders.length === 0) return;
  checkedPlan(JSON.stringify(plan), 'plan');
  await writeFileAtomically(join(session.state, 'plan.json'), JSON.stringify(plan)); // the point of no return
  const done: PlannedFolder[] = [];
  try {
    for (const folder of plan.folders) {
      done.push(folder);
      await swapIn(session, folder, steps);
    }
  } catch (error) {
    for (const folder of done.reverse()) await swapBack(session, folder, steps);
    await rm(join(session.state, 'plan.json'), { force: true });
    throw error;
  }
  await rm(join(session.state, 'previous'), { recursive: true, force: true });
  await rm(join(session.state, 'plan.json'), { force: true });
}

export async function discardStaged(session: WriteSession): Promise<void> {
  await rm(join(session.state, 'staging'), { recursive: true, force: true });
}

const pathsOf = ({ parent, state }: WriteSession, name: string) => ({
  target: join(parent, name),
  staging: join(state, 'staging', name),
  previous: join(state, 'previous', name),
});

/** Each step checks what is done already, so a swap finished twice gives the same tree. */
async function swapIn(session: WriteSession, folder: PlannedFolder, steps: CommitSteps): Promise<void> {
  const { target, staging, previous } = pathsOf(session, folder.name);
  if ((await exists(target)) && !(await exists(previous)) && (!folder.staged || (await exists(staging)))) {
    await mkdir(dirname(previous), { recursive: true });
    await steps.rename(target, previous);
  }
  if (folder.staged && (await exists(staging)) && !(await exists(target))) await steps.rename(staging, target);
}

/** Undoes swapIn, as far as it went. */
async function swapBack(session: WriteSession, folder: PlannedFolder, steps: CommitSteps): Promise<void> {
  const { target, staging, previous } = pathsOf(session, folder.name);
  if (folder.staged && (await exists(target)) && !(await exists(staging))) await steps.rename(target, staging);
  if ((await exists(previous)) && !(await exists(target))) await steps.rename(previous, target);
}

/** A killed commit, finished: every swap of its plan, then the old folders dropped. */
async function finishPlan(parent: string, state: string, plan: Plan, steps: CommitSteps): Promise<void> {
  const session: WriteSession = { parent, state, release: async () => undefined };
  for (const folder of plan.folders) await swapIn(session, folder, steps);
  await rm(join(state, 'plan.json'), { force: true });
}

async function makeFolders(root: string, paths: string[]): Promise<void> {
  for (const dir of [...new Set(paths.map((path) => dirname(join(root, path))))].sort())
    await mkdir(dir, { recursive: true });
}
