import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireWrite,
  commitStaged,
  discardStaged,
  ForeignStateError,
  prepareStaging,
  readTree,
  RenderBusyError,
  writeStaged,
  type CommitSteps,
  type WriteSession,
} from './index.js';

let root: string;
let parent: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'atomic-'));
  parent = join(root, 'clusters');
  await mkdir(parent);
});
afterEach(() => rm(root, { recursive: true, force: true }));

const files = (entries: Record<string, string>) => new Map(Object.entries(entries));
/** The folder as path (relative to it) → content. */
const folder = async (name = 'c') =>
  new Map([...(await readTree(parent, name))].map(([path, content]) => [path.slice(name.length + 1), content]));
const hidden = async () => (await readdir(parent)).filter((entry) => entry.startsWith('.'));
/** What is on disk now, as the caller passes it to prepareStaging. */
const onDisk = async (names: string[]) =>
  new Map(await Promise.all(names.map(async (name) => [name, await readTree(parent, name)] as const)));

async function stage(session: WriteSession, trees: Record<string, Record<string, string>>) {
  const staged = await prepareStaging(
    session,
    new Map(Object.entries(trees).map(([name, entries]) => [name, files(entries)])),
    await onDisk(Object.keys(trees)),
  );
  await writeStaged(staged);
  return staged;
}

async function write(name: string, entries: Record<string, string>) {
  const session = await acquireWrite(parent);
  try {
    const staged = await stage(session, { [name]: entries });
    await commitStaged(session, staged);
    return staged[0];
  } finally {
    await session.release();
  }
}

/** The pid of a process that has exited: a lock it held is stale. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
async function killHolder() {
  const lock = join(parent, '.render/lock.json');
  await writeFile(lock, JSON.stringify({ ...JSON.parse(await readFile(lock, 'utf8')), pid: deadPid() }));
}

const before = {
  'a.yaml': 'a1',
  'projects/x/app.yaml': 'x1',
  'projects/y/app.yaml': 'y1',
  'projects/y/client/m.py': 'm1',
};
const after = { 'a.yaml': 'a2', 'projects/x/app.yaml': 'x1', 'projects/z/app.yaml': 'z1' };

describe('staged writes of a folder', () => {
  it('creates a folder that does not exist yet, with every file, and leaves no state behind', async () => {
    const staged = await write('c', before);

    expect(staged.written.sort()).toEqual(Object.keys(before).sort());
    expect(await folder()).toEqual(files(before));
    expect(await hidden()).toEqual([]);
  });

  it('writes only the files that changed, deletes the ones no longer rendered and the folders they leave empty', async () => {
    await write('c', before);
    const untouched = await stat(join(parent, 'c/projects/x/app.yaml'));

    const staged = await write('c', after);

    expect(staged.written.sort()).toEqual(['a.yaml', 'projects/z/app.yaml']);
    expect(staged.removed.sort()).toEqual(['projects/y/app.yaml', 'projects/y/client/m.py']);
    expect(await folder()).toEqual(files(after));
    expect(existsSync(join(parent, 'c/projects/y')), 'the removed project leaves no empty folder').toBe(false);
    const now = await stat(join(parent, 'c/projects/x/app.yaml'));
    expect([now.ino, now.mtimeMs], 'an unchanged file is not rewritten').toEqual([untouched.ino, untouched.mtimeMs]);
    expect(await hidden()).toEqual([]);
  });

  it('changes nothing on disk when nothing changed', async () => {
    await write('c', before);
    const folderBefore = await stat(join(parent, 'c'));

    const staged = await write('c', before);

    expect([staged.written, staged.removed]).toEqual([[], []]);
    expect(await folder()).toEqual(files(before));
    expect((await stat(join(parent, 'c'))).ino, 'the folder was not swapped').toBe(folderBefore.ino);
  });

  it('writes the files selected first before the others, and commits the whole change', async () => {
    await write('c', before);
    const session = await acquireWrite(parent);
    const staged = await prepareStaging(session, new Map([['c', files(after)]]), await onDisk(['c']));

    await writeStaged(staged, (path) => path.startsWith('projects/'));
    expect(await readTree(parent, '.render/staging'), 'only the selected file is staged so far').toEqual(
      files({ '.render/staging/c/projects/z/app.yaml': 'z1' }),
    );
    expect(await folder(), 'the folder itself is untouched until the commit').toEqual(files(before));

    await writeStaged(staged, (path) => !path.startsWith('projects/'));
    await commitStaged(session, staged);
    await session.release();
    expect(await folder()).toEqual(files(after));
    expect(await hidden()).toEqual([]);
  });

  it('leaves every folder as it was when the staged change is discarded', async () => {
    await write('c', before);
    await write('d', { 'one.yaml': '1' });

    const session = await acquireWrite(parent);
    await stage(session, { c: after, d: { 'two.yaml': '2' } });
    await discardStaged(session);
    await session.release();

    expect(await folder('c')).toEqual(files(before));
    expect(await folder('d')).toEqual(files({ 'one.yaml': '1' }));
    expect(await hidden()).toEqual([]);
  });

  it('commits several folders together, and removes the folders it is told to', async () => {
    await write('c', before);
    await write('old', { 'gone.yaml': 'g' });

    const session = await acquireWrite(parent);
    await commitStaged(session, await stage(session, { c: after, d: { 'two.yaml': '2' } }), ['old']);
    await session.release();

    expect(await folder('c')).toEqual(files(after));
    expect(await folder('d')).toEqual(files({ 'two.yaml': '2' }));
    expect(existsSync(join(parent, 'old'))).toBe(false);
  });

  it('turns a file into a folder of the same name, and back', async () => {
    await write('c', { 'projects/x': 'a file' });

    await write('c', { 'projects/x/app.yaml': 'x1' });
    expect(await folder()).toEqual(files({ 'projects/x/app.yaml': 'x1' }));

    await write('c', { 'projects/x': 'a file again' });
    expect(await folder()).toEqual(files({ 'projects/x': 'a file again' }));
  });
});

describe('a commit step that fails', () => {
  it('puts every folder back as it was (here the second folder cannot be moved: EPERM)', async () => {
    await write('c', before);
    await write('d', { 'one.yaml': '1' });
    let calls = 0;
    const steps: CommitSteps = {
      rename: async (from, to) => {
        if (from === join(parent, 'd') && calls++ === 0)
          throw Object.assign(new Error(`EPERM: operation not permitted, rename '${from}'`), { code: 'EPERM' });
        await rename(from, to);
      },
    };

    const session = await acquireWrite(parent);
    await expect(
      commitStaged(session, await stage(session, { c: after, d: { 'two.yaml': '2' } }), [], steps),
    ).rejects.toThrow('EPERM');
    await session.release();

    expect(await folder('c'), 'the folder swapped before the failure is swapped back').toEqual(files(before));
    expect(await folder('d')).toEqual(files({ 'one.yaml': '1' }));
    expect(await hidden()).toEqual([]);
  });
});

describe('one render at a time, and what a killed one left', () => {
  it('refuses a second render while the first holds the lock, and lets the next one in after', async () => {
    const first = await acquireWrite(parent);
    await expect(acquireWrite(parent)).rejects.toThrow(RenderBusyError);
    await first.release();
    await (await acquireWrite(parent)).release();
    expect(await hidden()).toEqual([]);
  });

  it('takes over the lock of a render that died, and drops what it had staged but not committed', async () => {
    await write('c', before);
    const session = await acquireWrite(parent);
    await stage(session, { c: after });
    await killHolder();

    const next = await acquireWrite(parent);

    expect(existsSync(join(parent, '.render/staging')), 'the uncommitted staging is dropped').toBe(false);
    await next.release();
    expect(await folder()).toEqual(files(before));
    expect(await hidden()).toEqual([]);
  });

  it('finishes a commit that was killed after its plan landed', async () => {
    await write('c', before);
    const session = await acquireWrite(parent);
    // The first rename (the old folder aside) happens; the process dies before the second, and before any undo.
    let renames = 0;
    const killed: CommitSteps = {
      rename: async (from, to) => {
        if (renames++ > 0) throw new Error('killed');
        await rename(from, to);
      },
    };
    await expect(commitStaged(session, await stage(session, { c: after }), [], killed)).rejects.toThrow('killed');
    expect(existsSync(join(parent, 'c')), 'killed between the two renames').toBe(false);
    await killHolder();

    await (await acquireWrite(parent)).release();

    expect(await folder()).toEqual(files(after));
    expect(await hidden()).toEqual([]);
  });

  it('never acts on a .render/ that came from a checkout: it is not this machine`s (its inode is not the one recorded)', async () => {
    await write('c', before);
    const session = await acquireWrite(parent);
    await stage(session, { c: after });
    await writeFile(join(parent, '.render/plan.json'), JSON.stringify({ folders: [{ name: 'c', staged: true }] }));
    // What a pull request can carry: the same files, in a folder of another inode.
    await cp(join(parent, '.render'), join(root, 'copy'), { recursive: true });
    await session.release();
    await rename(join(root, 'copy'), join(parent, '.render'));
    await killHolder();

    await expect(acquireWrite(parent)).rejects.toThrow(ForeignStateError);

    expect(await folder()).toEqual(files(before));
    expect(existsSync(join(parent, '.render/plan.json')), 'left as it was').toBe(true);
  });

  it('never writes through a clusters/ that is a link', async () => {
    await rm(parent, { recursive: true });
    await mkdir(join(root, 'elsewhere'));
    await symlink('elsewhere', parent);

    await expect(acquireWrite(parent)).rejects.toThrow(
      expect.objectContaining({ name: 'ForeignStateError', kind: 'link' }),
    );

    expect(await readdir(join(root, 'elsewhere')), 'nothing made where it points').toEqual([]);
  });

  it('refuses a plan naming anything but a cluster folder, and names the plan', async () => {
    await writeFile(join(root, 'victim.txt'), 'precious');
    await write('c', before);
    const session = await acquireWrite(parent);
    await writeFile(
      join(session.state, 'plan.json'),
      JSON.stringify({ folders: [{ name: '../../victim.txt', staged: false }] }),
    );
    await killHolder();

    await expect(acquireWrite(parent)).rejects.toThrow(
      /clusters\/\.render\/plan\.json names "\.\.\/\.\.\/victim\.txt"/,
    );

    expect(await readFile(join(root, 'victim.txt'), 'utf8')).toBe('precious');
    expect(await folder()).toEqual(files(before));
  });
});
