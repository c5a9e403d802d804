import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
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
  WriteFault,
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

/** As the gate groups them: a project's folder is one unit, every other file its own. */
const projectFolder = (path: string) => /^projects\/[^/]+(?=\/)/.exec(path)?.[0] ?? path;

async function stage(session: WriteSession, trees: Record<string, Record<string, string>>) {
  const staged = await prepareStaging(
    session,
    new Map(Object.entries(trees).map(([name, entries]) => [name, files(entries)])),
    await onDisk(Object.keys(trees)),
    { unitOf: projectFolder },
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

/** Every entry under clusters/, `.render/` included: a folder as 'folder', a file as its bytes. */
async function snapshot(): Promise<Map<string, string>> {
  const entries = await readdir(parent, { recursive: true, withFileTypes: true });
  return new Map(
    await Promise.all(
      entries.map(async (e) => {
        const path = join(e.parentPath, e.name);
        return [path.slice(parent.length + 1), e.isDirectory() ? 'folder' : await readFile(path, 'utf8')] as const;
      }),
    ),
  );
}

async function until(done: () => boolean) {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 1));
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

  it(
    'writes only the files that changed, ' + 'deletes the ones no longer rendered and the folders they leave empty',
    async () => {
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
    },
  );

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

/** A cluster folder with shared files and projects; the change adds z, changes w and values.yaml, removes y. */
const cluster = {
  'root.yaml': 'r1',
  'platform/values.yaml': 'v1',
  'projects/w/app.yaml': 'w1',
  'projects/w/manifests/ns.yaml': 'wn',
  'projects/w/client/c.py': 'wc',
  'projects/x/app.yaml': 'x1',
  'projects/x/manifests/ns.yaml': 'xn',
  'projects/y/app.yaml': 'y1',
  'projects/y/manifests/ns.yaml': 'yn',
  'projects/y/client/m.py': 'ym',
};
const onboarding = {
  'root.yaml': 'r1',
  'platform/values.yaml': 'v2',
  'projects/w/app.yaml': 'w2',
  'projects/w/manifests/ns.yaml': 'wn',
  'projects/w/client/c.py': 'wc',
  'projects/x/app.yaml': 'x1',
  'projects/x/manifests/ns.yaml': 'xn',
  'projects/z/app.yaml': 'z1',
  'projects/z/manifests/ns.yaml': 'zn',
};

/** Real steps, each call recorded as `<step> <path under clusters/>`. */
function recording(calls: string[]): Partial<CommitSteps> {
  const under = (path: string) => path.slice(parent.length + 1);
  return {
    rename: async (from, to, step) => {
      calls.push(`${step} ${under(step === 'in' ? to : from)}`);
      await rename(from, to);
    },
  };
}

describe('only what changed is swapped', () => {
  it('moves the changed shared file and project folders, and nothing of the project that did not change', async () => {
    await write('c', cluster);
    const [folderBefore, untouched] = await Promise.all([stat(join(parent, 'c')), stat(join(parent, 'c/projects/x'))]);
    const calls: string[] = [];

    const session = await acquireWrite(parent);
    await commitStaged(session, await stage(session, { c: onboarding }), [], recording(calls));
    await session.release();

    expect(await folder()).toEqual(files(onboarding));
    expect(calls.filter((c) => /^(out|in) /.test(c))).toEqual([
      'out c/platform/values.yaml',
      'in c/platform/values.yaml',
      'out c/projects/w',
      'in c/projects/w',
      'out c/projects/y',
      'in c/projects/z',
    ]);
    expect((await stat(join(parent, 'c'))).ino, 'the cluster folder stays').toBe(folderBefore.ino);
    expect((await stat(join(parent, 'c/projects/x'))).ino, 'an unchanged project stays').toBe(untouched.ino);
    expect(await hidden()).toEqual([]);
  });

  it('swaps a new or gone folder from its highest new or gone folder: no empty folder made or left', async () => {
    await write('c', { 'root.yaml': 'r1' });
    await write('c', { 'root.yaml': 'r1', 'platform/manifests/a.yaml': 'a' });
    expect(await folder()).toEqual(files({ 'root.yaml': 'r1', 'platform/manifests/a.yaml': 'a' }));

    await write('c', { 'root.yaml': 'r1' });
    expect(await folder()).toEqual(files({ 'root.yaml': 'r1' }));
    expect(await readdir(join(parent, 'c')), 'no empty platform/ left').toEqual(['root.yaml']);
  });
});

type Fault = { code: string; when: (step: string, call: number) => boolean; times?: number };

/** Real steps but one: each call that `when` selects (by step and its count within the step) fails with `code`. */
function failing({ code, when, times = Infinity }: Fault): Partial<CommitSteps> & { failures: () => number } {
  const counts = new Map<string, number>();
  let failures = 0;
  return {
    failures: () => failures,
    rename: async (from, to, step) => {
      const call = (counts.get(step) ?? 0) + 1;
      counts.set(step, call);
      if (failures < times && when(step, call)) {
        failures++;
        throw Object.assign(new Error(`${code}: simulated, ${step} '${from}' -> '${to}'`), { code });
      }
      await rename(from, to);
    },
  };
}

/** The onboarding of `cluster`, committed with `steps`: what it threw. */
async function failedCommit(steps: Partial<CommitSteps>): Promise<WriteFault> {
  const session = await acquireWrite(parent);
  try {
    const error = await commitStaged(session, await stage(session, { c: onboarding }), [], steps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WriteFault);
    return error as WriteFault;
  } finally {
    await session.release();
  }
}

/** What a person reading the message needs: the path, the cause in words, what to do; no raw system error. */
function expectClear(fault: WriteFault, path: string) {
  expect(fault.message).toContain(`render cannot`);
  expect(fault.message).toContain(path);
  expect(fault.message).toMatch(/To go on: .+, then run render again\.$/);
  expect(fault.message).not.toContain(root);
  expect(fault.message).not.toMatch(/simulated|\.render\/staging|gone-/);
}

const codes = ['EPERM', 'EACCES', 'ENOTDIR', 'EROFS', 'ENOSPC', 'EXDEV'];
/** Each step, failing at its first call and at its last (every earlier step of the commit then undone). */
const steps = [
  { step: 'out', call: 1, path: 'clusters/c/platform/values.yaml' },
  { step: 'out', call: 3, path: 'clusters/c/projects/y' },
  { step: 'in', call: 1, path: 'clusters/c/platform/values.yaml' },
  { step: 'in', call: 3, path: 'clusters/c/projects/z' },
  { step: 'mark', call: 1, path: 'clusters/c/projects/w/' },
  { step: 'mark', call: 10, path: 'clusters/c/projects/y' },
];

describe('a commit step that fails leaves clusters/ byte for byte as it was, and says what to do', () => {
  for (const code of codes) {
    for (const { step, call, path } of steps) {
      it(`${code} at ${step} #${call}`, async () => {
        await write('c', cluster);
        const unchanged = await snapshot();

        const fault = await failedCommit(failing({ code, when: (s, n) => s === step && n === call }));

        expect([fault.code, fault.step, fault.outcome]).toEqual([code, step, 'restored']);
        expectClear(fault, path);
        expect(fault.message).toContain('clusters/ is as it was');
        expect(await snapshot()).toEqual(unchanged);
      });
    }
  }

  it('says what to do: the immutable attribute (EPERM), the read-only mount (EROFS), space (ENOSPC)', async () => {
    await write('c', cluster);
    const message = async (code: string) => (await failedCommit(failing({ code, when: (s) => s === 'out' }))).message;

    expect(await message('EPERM')).toMatch(
      /immutable or append-only.*lsattr -d clusters\/c\/platform\/values\.yaml clusters\/c\/platform`.*chattr -i -a/,
    );
    expect(await message('EROFS')).toMatch(/read-only file system/);
    expect(await message('ENOSPC')).toMatch(/no space is left.*free some space/);
  });

  it('an undo step refused once is tried again: clusters/ as it was', async () => {
    await write('c', cluster);
    const unchanged = await snapshot();
    const undoFails = failing({ code: 'EBUSY', when: (s) => s === 'undo', times: 1 });
    const steps: Partial<CommitSteps> = {
      rename: (from, to, step) =>
        step === 'mark'
          ? Promise.reject(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }))
          : undoFails.rename!(from, to, step),
    };

    const fault = await failedCommit(steps);

    expect([fault.step, fault.outcome, undoFails.failures()]).toEqual(['mark', 'restored', 1]);
    expect(await snapshot()).toEqual(unchanged);
  });

  for (const code of codes) {
    it(`an undo refused for good (${code}): the old unit kept aside, named; the next render restores`, async () => {
      await write('c', cluster);
      const unchanged = await snapshot();
      const steps = failing({
        code,
        when: (s, n) => (s === 'in' && n === 3) || s === 'undo',
      });

      const fault = await failedCommit(steps);

      expect([fault.code, fault.step, fault.outcome]).toEqual([code, 'in', 'partly-restored']);
      expectClear(fault, 'clusters/c/projects/z');
      expect(fault.message).toMatch(/clusters\/c\/projects\/y \(and 2 more beside it\) could not be put back/);
      expect(fault.message).toMatch(/its old content is kept in clusters\/\.render\/previous\/c\/projects\/y,/);
      expect(existsSync(join(parent, '.render/plan.json')), 'the undo is left for the next render').toBe(true);

      await (await acquireWrite(parent)).release();

      expect(await snapshot()).toEqual(unchanged);
    });
  }

  it('a fault linking an unchanged file into the new tree changes nothing', async () => {
    await write('c', cluster);
    const unchanged = await snapshot();
    const refusedLink: Partial<CommitSteps> = {
      link: () => Promise.reject(Object.assign(new Error('EPERM'), { code: 'EPERM' })),
    };

    const fault = await failedCommit(refusedLink);

    expect([fault.step, fault.outcome]).toEqual(['link', 'untouched']);
    expectClear(fault, 'clusters/c/projects/w/');
    expect(fault.message).toContain('Nothing was changed');
    expect(await snapshot()).toEqual(unchanged);
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
    // The first rename (the old unit aside) happens; the process dies at the second: it never returns.
    let renames = 0;
    const killed: Partial<CommitSteps> = {
      rename: async (from, to) => {
        if (renames++ > 0) await new Promise(() => undefined);
        await rename(from, to);
      },
    };
    void commitStaged(session, await stage(session, { c: after }), [], killed);
    await until(() => renames > 1);
    expect(existsSync(join(parent, 'c/a.yaml')), 'killed between the two renames').toBe(false);
    await killHolder();

    await (await acquireWrite(parent)).release();

    expect(await folder()).toEqual(files(after));
    expect(await hidden()).toEqual([]);
  });

  it('finishes the undo of a commit that was killed while it undid a failed step', async () => {
    await write('c', before);
    const unchanged = await snapshot();
    const session = await acquireWrite(parent);
    let failed = false;
    let undoing = false;
    const killed: Partial<CommitSteps> = {
      rename: async (from, to, step) => {
        if (step === 'mark' && !failed) {
          failed = true;
          throw Object.assign(new Error('EIO'), { code: 'EIO' });
        }
        if (step === 'undo' && undoing) await new Promise(() => undefined); // dies at its second undo step
        undoing ||= step === 'undo';
        await rename(from, to);
      },
    };
    void commitStaged(session, await stage(session, { c: after }), [], killed);
    await until(() => undoing && existsSync(join(parent, '.render/plan.json')));
    await killHolder();

    await (await acquireWrite(parent)).release();

    expect(await snapshot(), 'clusters/ as before the failed commit').toEqual(unchanged);
  });

  it(
    'never acts on a .render/ that came from a checkout: ' +
      'it is not this machine`s (its inode is not the one recorded)',
    async () => {
      await write('c', before);
      const session = await acquireWrite(parent);
      await stage(session, { c: after });
      const plan = join(parent, '.render/plan.json');
      await writeFile(plan, JSON.stringify({ units: [{ name: 'c', path: '', staged: true }], mark: 'a1b2c3d4e5f6' }));
      // What a pull request can carry: the same files, in a folder of another inode.
      await cp(join(parent, '.render'), join(root, 'copy'), { recursive: true });
      await rm(plan);
      await session.release();
      await rename(join(root, 'copy'), join(parent, '.render'));
      await killHolder();

      await expect(acquireWrite(parent)).rejects.toThrow(ForeignStateError);

      expect(await folder()).toEqual(files(before));
      expect(existsSync(join(parent, '.render/plan.json')), 'left as it was').toBe(true);
    },
  );

  it('says which folder refuses the lock when clusters/ cannot be written, and changes nothing', async (context) => {
    await write('c', before);
    const unchanged = await snapshot();
    // Immutable as root (chmod does not stop root), read-only otherwise.
    const asRoot = process.getuid?.() === 0;
    try {
      if (asRoot) execFileSync('chattr', ['+i', parent], { stdio: 'ignore' });
      else await chmod(parent, 0o555);
    } catch {
      return context.skip(); // no chattr, or a file system without attributes
    }
    try {
      const error = await acquireWrite(parent).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WriteFault);
      expect((error as WriteFault).message).toMatch(
        /^render cannot create its lock folder \.render\/ in clusters: .*Nothing was changed.*then run render again\.$/,
      );
    } finally {
      if (asRoot) execFileSync('chattr', ['-i', parent], { stdio: 'ignore' });
      else await chmod(parent, 0o755);
    }
    expect(await snapshot()).toEqual(unchanged);
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
      JSON.stringify({ units: [{ name: '../../victim.txt', path: '', staged: false }], mark: 'a1b2c3d4e5f6' }),
    );
    await killHolder();

    await expect(acquireWrite(parent)).rejects.toThrow(
      /clusters\/\.render\/plan\.json names "\.\.\/\.\.\/victim\.txt"/,
    );

    expect(await readFile(join(root, 'victim.txt'), 'utf8')).toBe('precious');
    expect(await folder()).toEqual(files(before));
  });

  it('refuses a plan whose unit path climbs out of its folder', async () => {
    await writeFile(join(root, 'victim.txt'), 'precious');
    await write('c', before);
    const session = await acquireWrite(parent);
    await writeFile(
      join(session.state, 'plan.json'),
      JSON.stringify({ units: [{ name: 'c', path: '../../victim.txt', staged: false }], mark: 'a1b2c3d4e5f6' }),
    );
    await killHolder();

    await expect(acquireWrite(parent)).rejects.toThrow(/plan\.json names "c\/\.\.\/\.\.\/victim\.txt"/);

    expect(await readFile(join(root, 'victim.txt'), 'utf8')).toBe('precious');
  });
});
