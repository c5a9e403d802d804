import { posix } from 'node:path';

/**
 * What a render could not do on the disk, said so that whoever runs it knows which path, why, in what
 * state clusters/ is, and what to do: never a raw system error (`EPERM: operation not permitted, rename
 * '/abs/clusters/.render/…'`), which names a path of the render's own and leaves the reader guessing.
 */

/** The step of a write that failed. */
export type WriteStep =
  | 'lock' // creating clusters/.render/
  | 'stage' // writing a new file aside, under clusters/.render/staging/
  | 'link' // linking an unchanged file of a changed folder into its new tree
  | 'plan' // writing the commit point, clusters/.render/plan.json
  | 'out' // moving an old file or folder aside
  | 'in' // moving the new file or folder into place
  | 'mark' // proving an old file or folder can be removed (renaming it where it lies)
  | 'undo' // putting something back after a failure
  | 'clean'; // removing clusters/.render/ once done

/** Where clusters/ stands after the failure. */
export type WriteOutcome = 'untouched' | 'restored' | 'partly-restored' | 'committed' | 'pending';

const verbs: Record<WriteStep, string> = {
  lock: 'create its lock folder .render/ in',
  stage: 'write',
  link: 'link the unchanged file',
  plan: 'write the commit point',
  out: 'move aside',
  in: 'move into place',
  mark: 'remove',
  undo: 'put back',
  clean: 'remove',
};

/** Why the file system refused, and what to do about it, by error code. */
function diagnosis(code: string | undefined, path: string): { why: string; fix: string } {
  switch (code ?? '') {
    case 'EPERM':
      return {
        why: 'the file system refuses to change it: it, or the folder holding it, is immutable or append-only',
        fix:
          `find the attribute with \`lsattr -d ${path} ${posix.dirname(path)}\` (an i or an a) ` +
          `and clear it with \`chattr -i -a\` on the one that has it (as root)`,
      };
    case 'EACCES':
      return {
        why: 'permission denied: it, or the folder holding it, is not writable by this user',
        fix: `make them writable (\`ls -ld ${path}\` shows who may write; \`chmod u+w\` on the folder)`,
      };
    case 'EROFS':
      return {
        why: 'it is on a read-only file system',
        fix: 'render in a writable checkout, or remount the file system read-write',
      };
    case 'ENOSPC':
    case 'EDQUOT':
      return {
        why: code === 'ENOSPC' ? 'no space is left on the device' : 'the disk quota is used up',
        fix: 'free some space (`df -h .` shows how much is left)',
      };
    case 'EBUSY':
    case 'EXDEV':
      return {
        why: 'it is a mount point, or on another file system than clusters/',
        fix: `unmount what is mounted at ${path}: clusters/ must be one file system, written by render alone`,
      };
    case 'ENOTDIR':
    case 'EISDIR':
    case 'ENOTEMPTY':
    case 'EEXIST':
    case 'ENOENT':
      return {
        why:
          'a file stands where a folder was expected, or the other way round: ' +
          'something else changed clusters/ while render ran',
        fix: 'let nothing but render write clusters/ (no editor, sync tool or second checkout on it)',
      };
    default:
      return {
        why: `the file system answered ${code ?? 'an error'}`,
        fix: 'check the disk and the permissions of that path',
      };
  }
}

const stateOf: Record<WriteOutcome, string> = {
  untouched: 'Nothing was changed: clusters/ is as it was.',
  restored: 'Every change was undone: clusters/ is as it was.',
  'partly-restored': '',
  committed: 'The new render is in place in clusters/.',
  pending:
    'A render killed part-way left its commit in clusters/.render/, ' +
    'and it could not be finished: it stays there until a render can.',
};

/** A write that failed, with a message made for the person running render. */
export class WriteFault extends Error {
  override name = 'WriteFault';
  constructor(
    /** The path refused, as the user sees it (e.g. clusters/gkp-dev/projects/x/manifests/x-dev.yaml). */
    readonly path: string,
    readonly step: WriteStep,
    readonly code: string | undefined,
    readonly outcome: WriteOutcome,
    /** For 'partly-restored': what could not be put back, and where its old content is kept. */
    readonly notRestored?: { path: string; keptAt: string; code: string | undefined; others: number },
  ) {
    const { why, fix } = diagnosis(code, path);
    const state = notRestored
      ? 'It could not all be undone: ' +
        `${notRestored.path}${notRestored.others ? ` (and ${notRestored.others} more beside it)` : ''} ` +
        `could not be put back (${diagnosis(notRestored.code, notRestored.path).why}); ` +
        `its old content is kept in ${notRestored.keptAt}, and the next render puts it back before anything else.`
      : stateOf[outcome];
    super(`render cannot ${verbs[step]} ${path}: ${why}. ${state} To go on: ${fix}, then run render again.`);
  }
}

/** The error code of a failed file system call, if it has one. */
export const codeOf = (error: unknown): string | undefined =>
  typeof (error as NodeJS.ErrnoException)?.code === 'string' ? (error as NodeJS.ErrnoException).code : undefined;
