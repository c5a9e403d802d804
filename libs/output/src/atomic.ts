import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inBatches } from './batches.js';
import type { Tree } from './tree.js';
import { changedUnits, unitHolding, type StagedUnit } from './units.js';
import { writeFileAtomically } from './write-file.js';
import { codeOf, WriteFault, type WriteOutcome, type WriteStep } from './write-fault.js';

/**
 * Folders under `parent` (clusters/<name>/) change all together or not at all, by one render at a time.
 * What changes is swapped unit by unit: a project's folder, a shared file (the caller says which;
 * StagingOptions), so a one-project change moves one project's files, not the cluster's. All of a
 * render's own state lives in one folder, `<parent>/.render/`, which it creates and removes:
 *
 *   lock.json                the holder's pid, and the device and inode numbers of `.render/` itself
 *   staging/<name>/<unit>    the new tree of each unit that changes: changed files written, the others
 *                            hard-linked from the unit on disk (a file that did not change is not rewritten)
 *   plan.json                the commit point: the units to swap in, or to remove
 *   previous/<name>/<unit>   each old unit, moved aside by its swap until the commit is done
 *
 * A commit swaps each unit with two renames, then proves every old file and folder it moved aside can be
 * removed, by renaming each where it lies (an immutable file, or one in an append-only or immutable
 * folder, refuses both). Only then are they removed, which can no longer fail half-way. A step that
 * fails undoes every step before it, so clusters/ is as it was, byte for byte; a render killed after
 * the plan landed has its commit finished by the next render (or its undo, if it was undoing), one
 * killed before has its staging dropped. Only a `.render/` whose lock.json names its own inode is ever
 * acted on: that is what git cannot carry, so a `.render/` that came from a checkout (a pull request)
 * is refused, never applied. Every failure of the disk is a WriteFault naming the path and what to do.
 */
export const stateDirName = '.render';

/** A cluster folder name: no path, no dot file, nothing a plan could use to reach outside `parent`. */
const folderName = /^[a-z0-9][a-z0-9-]*$/;
/** A unit's path in its folder: plain names, no `.` or `..`, no absolute path. */
const unitPath = /^(?:(?!\.\.?(?:\/|$))[^/\\\0]+(?:\/(?!\.\.?(?:\/|$))[^/\\\0]+)*)?$/;
/** The suffix an old entry gets once it proved removable. */
const markPattern = /^[0-9a-f]{12}$/;

export interface StagedFolder {
  name: string;
  /** The staging folder: it holds the `written` files, and at commit the unchanged ones of each unit too. */
  folder: string;
  /** Files (relative to the folder) that are new or changed. */
  written: string[];
  /** Files on disk that the new tree does not have. */
  removed: string[];
  /** The new tree: path (relative to the folder) → content. */
  files: ReadonlyMap<string, string>;
  /** What the commit swaps: each unit holding a written or removed file. */
  units: StagedUnit[];
}

export interface StagingOptions {
  /**
   * The unit a file (its path relative to the cluster folder) is swapped with: the folder of files that
   * belong together (a project's), or the file itself (the default).
   */
  unitOf?: (path: string) => string;
}

interface PlannedUnit extends StagedUnit {
  /** The cluster folder. */
  name: string;
}

interface Plan {
  units: PlannedUnit[];
  /** Suffix of the old entries that proved removable: `<name>.gone-<mark>`. */
  mark: string;
  /** Written when a failure made the commit go back: the next render finishes the undo, not the commit. */
  back?: boolean;
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

/** The steps a commit takes on the disk; a test can make any of them fail. */
export interface CommitSteps {
  /** `step`: out, in, mark (an old entry renamed where it lies), undo (any of those reversed). */
  rename(from: string, to: string, step: WriteStep): Promise<void>;
  link(existing: string, created: string): Promise<void>;
}
const realSteps: CommitSteps = { rename: (from, to) => rename(from, to), link };

export interface WriteSession {
  parent: string;
  /** `<parent>/.render` */
  state: string;
  /** Removes `.render/` (the lock goes last, with it), unless it holds a commit to finish or undo. */
  release(): Promise<void>;
}

interface Lock {
  pid: number;
  dev: string;
  ino: string;
}

/** The state folders this process holds: a second render in the same process waits too. */
const held = new Set<string>();
/** Sessions whose commit is done: a failure to clean up after says so. */
const committed = new WeakSet<WriteSession>();

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

/** A failed step of a commit: where, and the system's error, until the outcome is known. */
class StepFailure extends Error {
  constructor(
    readonly step: WriteStep,
    readonly path: string,
    readonly failure: unknown,
  ) {
    super(`${step} ${path}: ${String(failure)}`);
  }
}

/** Runs `work`; a failure of the disk becomes a StepFailure naming `path` (as the user sees it). */
async function step(kind: WriteStep, path: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    throw error instanceof StepFailure || error instanceof WriteFault ? error : new StepFailure(kind, path, error);
  }
}

const faultOf = (error: unknown, outcome: WriteOutcome) =>
  error instanceof StepFailure ? new WriteFault(error.path, error.step, codeOf(error.failure), outcome) : error;

/** Paths of a session's units: on disk, aside, staged; and as the user sees them. */
function places({ parent, state }: Pick<WriteSession, 'parent' | 'state'>, unit: { name: string; path: string }) {
  const relative = unit.path === '' ? unit.name : `${unit.name}/${unit.path}`;
  return {
    target: join(parent, relative),
    staging: join(state, 'staging', relative),
    previous: join(state, 'previous', relative),
    shown: `${basename(parent)}/${relative}`,
    shownPrevious: `${basename(parent)}/${stateDirName}/previous/${relative}`,
  };
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
 * is recovered first: its plan finished if it had committed (or undone if it was undoing), its staging
 * dropped otherwise.
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
  const state = join(parent, stateDirName);
  const shown = `${basename(parent)}/${stateDirName}`;
  let created: string | undefined;
  let fresh: string | undefined;
  let taken = false;
  try {
    await step('lock', basename(parent), async () => (created = await mkdir(parent, { recursive: true })));
    // The lock is written in a folder of its own, which then becomes .render/ in one rename: whoever
    // finds .render/ finds its lock.json complete.
    await step('lock', basename(parent), async () => {
      fresh = await mkdtemp(`${state}-lock-`);
      await writeLock(fresh);
      taken = await rename(fresh, state).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST' && error.code !== 'ENOTDIR') throw error;
          return false;
        },
      );
    });
  } catch (error) {
    throw faultOf(error, 'untouched');
  } finally {
    if (fresh && !taken) await rm(fresh, { recursive: true, force: true }).catch(() => undefined);
  }
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
        `another render (pid ${lock.pid}) is writing ${basename(parent)}/: ` +
          `wait for it to finish, then run this one again (if no render runs, delete ${shown}/)`,
      );
    }
    held.add(state);
    try {
      await recover({ parent, state }, shown);
      await step('lock', basename(parent), () => writeLock(state));
    } catch (error) {
      held.delete(state);
      throw faultOf(error, 'pending');
    }
  }
  const session: WriteSession = {
    parent,
    state,
    release: async () => {
      held.delete(state);
      // A commit to finish or undo stays for the next render (validate reports it meanwhile).
      if (await exists(join(state, 'plan.json'))) return;
      const outcome = committed.has(session) ? 'committed' : 'untouched';
      await step('clean', shown, () => rm(state, { recursive: true, force: true })).catch((error: unknown) => {
        throw faultOf(error, outcome);
      });
      // A render that wrote nothing leaves no clusters/ it did not find.
      if (created !== undefined) await rmdir(parent).catch(() => undefined);
    },
  };
  return session;
}

/** A killed render's state: its plan finished (or, if it was undoing, undone), its uncommitted staging dropped. */
async function recover(session: Pick<WriteSession, 'parent' | 'state'>, shown: string): Promise<void> {
  const text = await readFile(join(session.state, 'plan.json'), 'utf8').catch(() => undefined);
  if (text !== undefined) {
    const plan = checkedPlan(text, `${shown}/plan.json`);
    if (plan.back) {
      for (const unit of [...plan.units].reverse()) {
        await unmarkAll(session, unit, plan.mark);
        await swapBack(session, unit, realSteps);
      }
    } else for (const unit of plan.units) await swapIn(session, unit, realSteps);
    await dropPrevious(session, shown);
    await rm(join(session.state, 'plan.json'), { force: true });
  }
  await step('clean', `${shown}/staging`, () => rm(join(session.state, 'staging'), { recursive: true, force: true }));
}

/** A plan names cluster folders and plain paths in them only; anything else is refused, naming the plan's file. */
function checkedPlan(text: string, file: string): Plan {
  let plan: Plan;
  try {
    plan = JSON.parse(text) as Plan;
  } catch {
    throw new ForeignStateError(file, `${file} is not a plan a render wrote: it is never applied`);
  }
  const units = Array.isArray(plan?.units) ? plan.units : undefined;
  const bad =
    units === undefined || typeof plan.mark !== 'string' || !markPattern.test(plan.mark)
      ? 'no unit list and mark'
      : units
          .map((u) =>
            typeof u?.name !== 'string' || !folderName.test(u.name)
              ? u?.name
              : typeof u.path !== 'string' || !unitPath.test(u.path) || typeof u.staged !== 'boolean'
                ? `${u.name}/${String(u.path)}`
                : undefined,
          )
          .find((name) => name !== undefined);
  if (bad !== undefined) {
    throw new ForeignStateError(
      file,
      `${file} names ${JSON.stringify(bad)}, not a folder of ${dirname(dirname(file))}/: it is never applied`,
    );
  }
  return plan;
}

/** Every project folder, or shared file, is its own unit unless the caller groups files. */
const eachFile = (path: string) => path;

/**
 * Finds, for each folder (name → its files, paths relative to `<parent>/<name>/`), what differs from
 * `onDisk` (name → the regular files of the folder as read, repository paths under `<parent>/`'s parent
 * stripped to `<name>/...`), and the units the commit will swap; writes nothing yet (writeStaged does).
 */
export async function prepareStaging(
  session: WriteSession,
  folders: ReadonlyMap<string, ReadonlyMap<string, string>>,
  onDisk: ReadonlyMap<string, Tree>,
  { unitOf = eachFile }: StagingOptions = {},
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
    const units = changedUnits(new Set(current.keys()), new Set(files.keys()), [...written, ...removed], unitOf);
    return { name, folder: join(session.state, 'staging', name), written, removed, files, units };
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
    const shown = (path: string) =>
      `${basename(dirname(dirname(dirname(folder))))}/${stateDirName}/staging/${name}/${path}`;
    try {
      await makeFolders(folder, selected, shown);
      await inBatches(selected, (path) =>
        step('stage', shown(path), () => writeFile(join(folder, path), files.get(path)!, { flag: 'wx' })),
      );
    } catch (error) {
      throw faultOf(error, 'untouched');
    }
  }
}

/**
 * Makes every staged unit the new one, and removes the folders `removedFolders` names: all of them, or,
 * when a step fails, none (every step is undone, and a WriteFault thrown saying so).
 */
export async function commitStaged(
  session: WriteSession,
  staged: StagedFolder[],
  removedFolders: string[] = [],
  steps: Partial<CommitSteps> = {},
): Promise<void> {
  const use: CommitSteps = { ...realSteps, ...steps };
  const plan: Plan = {
    units: [
      ...staged.flatMap(({ name, units }) => units.map((unit) => ({ name, ...unit }))),
      ...removedFolders.map((name) => ({ name, path: '', staged: false })),
    ],
    mark: randomBytes(6).toString('hex'),
  };
  if (plan.units.length === 0) return;
  checkedPlan(JSON.stringify(plan), 'plan');
  const planFile = join(session.state, 'plan.json');
  try {
    for (const folder of staged) await completeUnits(session, folder, use);
    await step('plan', `${basename(session.parent)}/${stateDirName}/plan.json`, () =>
      writeFileAtomically(planFile, JSON.stringify(plan)),
    ); // the point of no return
  } catch (error) {
    throw faultOf(error, 'untouched');
  }
  const done: PlannedUnit[] = [];
  const marked = new Map<PlannedUnit, string[]>();
  try {
    for (const unit of plan.units) {
      done.push(unit);
      await swapIn(session, unit, use);
    }
    for (const unit of plan.units) await markRemovable(session, unit, plan.mark, use, marked);
  } catch (error) {
    const notRestored = await undo(session, plan, done, marked, use);
    if (!notRestored) {
      await rm(planFile, { force: true });
      await rm(join(session.state, 'previous'), { recursive: true, force: true });
    }
    if (!(error instanceof StepFailure)) throw error;
    throw new WriteFault(
      error.path,
      error.step,
      codeOf(error.failure),
      notRestored ? 'partly-restored' : 'restored',
      notRestored,
    );
  }
  committed.add(session);
  try {
    await dropPrevious(session, `${basename(session.parent)}/${stateDirName}`);
  } catch (error) {
    throw faultOf(error, 'committed');
  }
  await rm(planFile, { force: true });
}

export async function discardStaged(session: WriteSession): Promise<void> {
  await rm(join(session.state, 'staging'), { recursive: true, force: true });
}

/** Each staged unit's folder in staging becomes whole: its unchanged files are linked in, not copied. */
async function completeUnits(session: WriteSession, folder: StagedFolder, steps: CommitSteps): Promise<void> {
  const units = new Map(folder.units.filter((u) => u.staged).map((u) => [u.path, u]));
  if (units.size === 0) return;
  if (units.has('')) await mkdir(folder.folder, { recursive: true });
  const written = new Set(folder.written);
  const unchanged = [...folder.files.keys()].filter((path) => !written.has(path) && unitHolding(path, units));
  const shown = (path: string) => `${basename(session.parent)}/${folder.name}/${path}`;
  await makeFolders(
    folder.folder,
    unchanged,
    (path) => `${basename(session.parent)}/${stateDirName}/staging/${folder.name}/${path}`,
  );
  const target = join(session.parent, folder.name);
  await inBatches(unchanged, (path) =>
    step('link', shown(path), () => steps.link(join(target, path), join(folder.folder, path))),
  );
}

/** Each step checks what is done already, so a swap finished twice gives the same tree. */
async function swapIn(
  session: Pick<WriteSession, 'parent' | 'state'>,
  unit: PlannedUnit,
  steps: CommitSteps,
): Promise<void> {
  const { target, staging, previous, shown } = places(session, unit);
  if ((await exists(target)) && !(await exists(previous)) && (!unit.staged || (await exists(staging)))) {
    await step('out', shown, async () => {
      await mkdir(dirname(previous), { recursive: true });
      await steps.rename(target, previous, 'out');
    });
  }
  if (unit.staged && (await exists(staging)) && !(await exists(target)))
    await step('in', shown, () => steps.rename(staging, target, 'in'));
}

/** Undoes swapIn, as far as it went. */
async function swapBack(
  session: Pick<WriteSession, 'parent' | 'state'>,
  unit: PlannedUnit,
  steps: CommitSteps,
): Promise<void> {
  const { target, staging, previous, shown } = places(session, unit);
  if (unit.staged && (await exists(target)) && !(await exists(staging)))
    await step('undo', shown, () => steps.rename(target, staging, 'undo'));
  if ((await exists(previous)) && !(await exists(target)))
    await step('undo', shown, () => steps.rename(previous, target, 'undo'));
}

const markedName = (path: string, mark: string) => `${path}.gone-${mark}`;

/** Every entry under an old unit set aside, deepest first, as paths relative to the unit. */
async function entriesUnder(folder: string): Promise<string[]> {
  const info = await lstat(folder).catch(() => undefined);
  if (!info?.isDirectory()) return [];
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .map((e) => join(e.parentPath, e.name).slice(folder.length + 1))
    .sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1));
}

/**
 * Proves that the old unit set aside can be removed: each entry under it is renamed where it lies,
 * deepest first (the unit itself proved so when it was moved aside). `done` records each renamed entry.
 */
async function markRemovable(
  session: WriteSession,
  unit: PlannedUnit,
  mark: string,
  steps: CommitSteps,
  done: Map<PlannedUnit, string[]>,
): Promise<void> {
  const { previous, shown } = places(session, unit);
  const renamed: string[] = [];
  done.set(unit, renamed);
  for (const entry of await entriesUnder(previous)) {
    const path = join(previous, entry);
    await step('mark', `${shown}/${entry}`, () => steps.rename(path, markedName(path, mark), 'mark'));
    renamed.push(path);
  }
}

/** Puts back the marks a commit (or a killed one) left under an old unit set aside, deepest first. */
async function unmarkAll(session: Pick<WriteSession, 'parent' | 'state'>, unit: PlannedUnit, mark: string) {
  const { previous, shown } = places(session, unit);
  const suffix = markedName('', mark);
  for (const entry of await entriesUnder(previous)) {
    if (!entry.endsWith(suffix)) continue;
    const path = join(previous, entry);
    await step('undo', `${shown}/${entry}`, () => rename(path, path.slice(0, -suffix.length)));
  }
}

/** A step of an undo, tried again: a refusal that passes (a busy file) must not leave the undo half-done. */
async function retried(work: () => Promise<void>, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(25 * attempt);
    }
  }
}

/**
 * Undoes a commit that failed: the marks, then each unit swapped, last first. A unit that cannot be put
 * back stays set aside under `.render/previous/`, and the plan says to go back: the next render finishes
 * the undo before anything else. Returns the first unit not put back.
 */
async function undo(
  session: WriteSession,
  plan: Plan,
  done: PlannedUnit[],
  marks: Map<PlannedUnit, string[]>,
  steps: CommitSteps,
): Promise<WriteFault['notRestored']> {
  await writeFileAtomically(join(session.state, 'plan.json'), JSON.stringify({ ...plan, back: true })).catch(
    () => undefined, // a full disk: the undo goes on, and a kill now leaves a plan to finish instead
  );
  let first: WriteFault['notRestored'];
  for (const unit of [...done].reverse()) {
    try {
      for (const path of [...(marks.get(unit) ?? [])].reverse())
        await retried(() => steps.rename(markedName(path, plan.mark), path, 'undo'));
      await retried(() => swapBack(session, unit, steps));
    } catch (error) {
      const { shown, shownPrevious } = places(session, unit);
      if (first) first.others++;
      else
        first = {
          path: shown,
          keptAt: shownPrevious,
          code: codeOf(error instanceof StepFailure ? error.failure : error),
          others: 0,
        };
    }
  }
  return first;
}

/** The old units set aside, removed: every entry proved removable, or the commit was finished after a kill. */
async function dropPrevious(session: Pick<WriteSession, 'parent' | 'state'>, shown: string): Promise<void> {
  await step('clean', `${shown}/previous`, () => rm(join(session.state, 'previous'), { recursive: true, force: true }));
}

async function makeFolders(root: string, paths: string[], shown: (path: string) => string): Promise<void> {
  for (const dir of [...new Set(paths.map((path) => dirname(join(root, path))))].sort())
    await step('stage', shown(dir.slice(root.length + 1)), () => mkdir(dir, { recursive: true }));
}
