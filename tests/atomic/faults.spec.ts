// A render whose commit the disk refuses part-way, at each step (the move out, the move in, the proof
// that an old file can go, the undo) and with each error a disk gives (EPERM, EACCES, ENOTDIR, EROFS,
// ENOSPC), or with real immutable files and folders at several depths, must exit 3 with a message
// naming the path and what to do, never a raw system error, and leave clusters/ byte for byte as it
// was. The change adds, changes and removes projects at once, and changes the shared Flyte values.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry, createPlatformFolder } from '@flyte-gkp/testing';
import { spec } from './spec-text.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const injection = join(repoRoot, 'tests/atomic/fault-injection.mjs');
const cluster = 'clusters/gkp-dev';

let root: string;

async function render(faults = '') {
  const result = await execa(process.execPath, ['--import', injection, cliEntry, 'render', '--root', root], {
    cwd: repoRoot,
    reject: false,
    timeout: 180_000,
    env: { FLYTE_GKP_TEST_FAULTS: faults },
  });
  return { exitCode: result.exitCode, output: `${result.stdout}\n${result.stderr}` };
}

/** Every entry under clusters/ (folders, files with their bytes, links with their target). */
async function snapshot(): Promise<Map<string, string>> {
  const dir = join(root, 'clusters');
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return new Map(
    await Promise.all(
      entries.map(async (e) => {
        const path = join(e.parentPath, e.name);
        const what = e.isDirectory()
          ? 'folder'
          : e.isSymbolicLink()
            ? `link ${await readlink(path)}`
            : (await readFile(path)).toString('base64');
        return [path.slice(dir.length + 1), what] as const;
      }),
    ),
  );
}

/** k000..k005 first; the change removes k000, changes k001, adds k100. */
async function writeSpecs(change: boolean) {
  await rm(join(root, 'projects'), { recursive: true, force: true });
  await mkdir(join(root, 'projects'));
  const ids = change
    ? ['k001', 'k002', 'k003', 'k004', 'k005', 'k100']
    : ['k000', 'k001', 'k002', 'k003', 'k004', 'k005'];
  for (const id of ids)
    await writeFile(join(root, 'projects', `${id}.yaml`), spec(id, change && id === 'k001' ? 'Renamed' : 'Team'));
}

let before: Map<string, string>;

beforeAll(async () => {
  root = await createPlatformFolder('faults-');
  await writeSpecs(false);
  const first = await render();
  expect(first.exitCode, first.output).toBe(0);
  before = await snapshot();
  await writeSpecs(true);
}, 180_000);
afterAll(() => rm(root, { recursive: true, force: true }));

/** Exit 3, a message for a person (the path, why, what to do), and clusters/ exactly as before. */
async function expectRefusedCleanly(result: { exitCode: number | undefined; output: string }, path: string) {
  expect(result.exitCode, result.output).toBe(3);
  expect(result.output).toMatch(/^error: render cannot .+, then run render again\.$/m);
  expect(result.output).toContain(path);
  expect(result.output, 'no stack trace').not.toMatch(/^\s+at /m);
  expect(result.output, 'no raw system error').not.toMatch(/injected|operation not permitted|\.render\/staging/);
  expect(result.output, 'no absolute path of the machine').not.toContain(root);
  expect(await snapshot(), 'clusters/ byte for byte as it was').toEqual(before);
}

const codes = ['EPERM', 'EACCES', 'ENOTDIR', 'EROFS', 'ENOSPC'];

describe('a commit step the disk refuses (injected at the rename)', () => {
  for (const code of codes) {
    it(`${code} moving the removed project out`, async () => {
      await expectRefusedCleanly(await render(`out:${code}:projects/k000`), `${cluster}/projects/k000`);
    }, 180_000);

    it(`${code} moving the added project in, after the others moved`, async () => {
      await expectRefusedCleanly(await render(`in:${code}:projects/k100`), `${cluster}/projects/k100`);
    }, 180_000);

    it(`${code} removing an old file of the changed project`, async () => {
      await expectRefusedCleanly(
        await render(`mark:${code}:projects/k001/manifests/`),
        `${cluster}/projects/k001/manifests/`,
      );
    }, 180_000);

    it(`${code} once while undoing: tried again, all undone`, async () => {
      await expectRefusedCleanly(await render(`in:ENOSPC:projects/k100,undo:${code}:*:1`), `${cluster}/projects/k100`);
    }, 180_000);
  }

  it(
    'an undo refused for good: exit 3 saying where the old files are; ' + 'the next render puts them back first',
    async () => {
      const result = await render('in:EROFS:projects/k100,undo:EPERM:projects/k001');
      expect(result.exitCode, result.output).toBe(3);
      expect(result.output).toContain(`${cluster}/projects/k001 could not be put back`);
      expect(result.output).toContain(`kept in clusters/.render/previous/gkp-dev/projects/k001`);
      expect(result.output).not.toMatch(/^\s+at /m);

      await writeSpecs(false); // back to the specs clusters/ was rendered from: nothing to change
      const next = await render();
      expect(next.exitCode, next.output).toBe(0);
      expect(await snapshot(), 'clusters/ as before').toEqual(before);
      await writeSpecs(true);
    },
    180_000,
  );

  it('CODEOWNERS refused after the cluster folders: exit 3 naming it, and the next render writes it', async () => {
    const result = await render('other:EACCES:.github/CODEOWNERS');
    expect(result.exitCode, result.output).toBe(3);
    expect(result.output).toContain('render cannot move into place .github/CODEOWNERS: permission denied');
    expect(result.output).toContain('The new render is in place in clusters/.');
    expect(result.output, 'no raw system error').not.toMatch(/injected|^\s+at /m);
    expect(await readdir(join(root, '.github')), 'nothing left aside').toEqual(['CODEOWNERS']);

    await writeSpecs(false); // back to the specs clusters/ was rendered from, for the cases after this one
    const next = await render();
    expect(next.exitCode, next.output).toBe(0);
    expect(await snapshot(), 'clusters/ as before').toEqual(before);
    await writeSpecs(true);
  }, 180_000);
});

/**
 * Makes a path immovable for real: the immutable attribute as root (chattr +i), a read-only folder
 * otherwise (a file through its folder). Undefined where neither holds (no chattr, a file system without
 * attributes): the case is skipped, saying so.
 */
function immovable(path: string): { undo: () => Promise<void> } | undefined {
  if (process.getuid?.() === 0) {
    try {
      execFileSync('chattr', ['+i', path], { stdio: 'ignore' });
      return {
        undo: () => {
          execFileSync('chattr', ['-i', path], { stdio: 'ignore' });
          return Promise.resolve();
        },
      };
    } catch {
      return undefined;
    }
  }
  const folder = statSync(path).isDirectory() ? path : dirname(path);
  chmodSync(folder, 0o555);
  return { undo: () => chmod(folder, 0o755) };
}

describe('files and folders that cannot be moved or removed, at several depths', () => {
  // What the change must move or remove; the shared files are the unit tests' (libs/output), as which
  // of them an onboarding changes is the renderer's business.
  const cases: [string, string][] = [
    ['the removed project`s folder', 'projects/k000'],
    ['a file deep in the removed project', 'projects/k000/manifests/d-dev.yaml'],
    ['a folder in the removed project', 'projects/k000/client'],
    ['a file of the changed project that changes', 'projects/k001/application.yaml'],
    ['a file of the changed project that stays', 'projects/k001/client/constraints.txt'],
    ['the projects/ folder, where the project is added', 'projects'],
  ];
  for (const [what, path] of cases) {
    it(`${what} (${path})`, async (context) => {
      const target = join(root, cluster, path);
      const fault = immovable(target);
      if (!fault) return context.skip();
      try {
        await expectRefusedCleanly(await render(), `${cluster}/${path}`);
      } finally {
        await fault.undo();
      }
    }, 180_000);
  }

  it('the next render, once nothing is immovable, commits the whole change', async () => {
    const result = await render();
    expect(result.exitCode, result.output).toBe(0);
    expect(existsSync(join(root, cluster, 'projects/k000'))).toBe(false);
    expect(existsSync(join(root, cluster, 'projects/k100/application.yaml'))).toBe(true);
    expect(await readdir(join(root, 'clusters'))).toEqual(['gkp-dev']);
  }, 180_000);
});
