import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitStaged, discardStaged, prepareStaging, readTree, recoverInterruptedWrite, writeStaged } from './index.js';

let parent: string;
beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'atomic-'));
});
afterEach(() => rm(parent, { recursive: true, force: true }));

const files = (entries: Record<string, string>) => new Map(Object.entries(entries));
/** The folder as path (relative to it) → content. */
const folder = async (name = 'c') => new Map([...(await readTree(parent, name))].map(([path, content]) => [path.slice(name.length + 1), content]));
const hidden = async () => (await readdir(parent)).filter((entry) => entry.startsWith('.'));

async function stage(trees: Record<string, Record<string, string>>) {
  const staged = await prepareStaging(parent, new Map(Object.entries(trees).map(([name, entries]) => [name, files(entries)])));
  await writeStaged(staged);
  return staged;
}

async function write(name: string, entries: Record<string, string>) {
  const staged = await stage({ [name]: entries });
  await commitStaged(parent, staged);
  return staged[0];
}

const before = { 'a.yaml': 'a1', 'projects/x/app.yaml': 'x1', 'projects/y/app.yaml': 'y1', 'projects/y/client/m.py': 'm1' };
const after = { 'a.yaml': 'a2', 'projects/x/app.yaml': 'x1', 'projects/z/app.yaml': 'z1' };

describe('staged writes of a folder', () => {
  it('creates a folder that does not exist yet, with every file', async () => {
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
    expect((await stat(join(parent, 'c/projects/x/app.yaml'))).mtimeMs, 'an unchanged file is not rewritten').toBe(untouched.mtimeMs);
    expect(await hidden()).toEqual([]);
  });

  it('changes nothing on disk when nothing changed', async () => {
    await write('c', before);

    const staged = await write('c', before);

    expect([staged.written, staged.removed]).toEqual([[], []]);
    expect(await folder()).toEqual(files(before));
  });

  it('writes the files selected first before the others, and commits the whole change', async () => {
    await write('c', before);
    const staged = await prepareStaging(parent, new Map([['c', files(after)]]));

    await writeStaged(staged, (path) => path.startsWith('projects/'));
    expect(await readTree(parent, '.staging-c'), 'only the selected file is staged so far').toEqual(files({ '.staging-c/projects/z/app.yaml': 'z1' }));
    expect(await folder(), 'the folder itself is untouched until the commit').toEqual(files(before));

    await writeStaged(staged, (path) => !path.startsWith('projects/'));
    await commitStaged(parent, staged);
    expect(await folder()).toEqual(files(after));
    expect(await hidden()).toEqual([]);
  });

  it('leaves every folder as it was when the staged change is discarded', async () => {
    await write('c', before);
    await write('d', { 'one.yaml': '1' });

    await discardStaged(await stage({ c: after, d: { 'two.yaml': '2' } }));

    expect(await folder('c')).toEqual(files(before));
    expect(await folder('d')).toEqual(files({ 'one.yaml': '1' }));
    expect(await hidden()).toEqual([]);
  });

  it('commits several folders together', async () => {
    await write('c', before);

    await commitStaged(parent, await stage({ c: after, d: { 'two.yaml': '2' } }));

    expect(await folder('c')).toEqual(files(after));
    expect(await folder('d')).toEqual(files({ 'two.yaml': '2' }));
  });

  it('drops a staged change that was never committed (a run killed while staging)', async () => {
    await write('c', before);
    await stage({ c: after });

    await recoverInterruptedWrite(parent);

    expect(await folder()).toEqual(files(before));
    expect(await hidden()).toEqual([]);
  });

  it('finishes a committed change that stopped part-way, on the next run', async () => {
    await write('c', before);
    const staged = await stage({ c: after });
    // A file appears, while the render runs, where the new tree needs a folder: the commit stops after its plan.
    const obstacle = join(parent, 'c/projects/z');
    await writeFile(obstacle, '');

    await expect(commitStaged(parent, staged)).rejects.toThrow();
    expect(await hidden(), 'the plan and the staged files wait for the next run').toEqual(['.render-plan.json', '.staging-c']);

    await rm(obstacle);
    await recoverInterruptedWrite(parent);

    expect(await folder()).toEqual(files(after));
    expect(await hidden()).toEqual([]);
  });

  it('applies a plan twice with the same result, even where a file became a folder', async () => {
    await write('c', { 'projects/x': 'a file', 'a.yaml': 'a1' });
    const staged = await stage({ c: { 'projects/x/app.yaml': 'x1', 'a.yaml': 'a2' } });
    await commitStaged(parent, staged);
    // As if the run was killed after the plan: the next run applies it again.
    await writeFile(join(parent, '.render-plan.json'), JSON.stringify({ folders: staged.map(({ folder: _, ...rest }) => rest) }));

    await recoverInterruptedWrite(parent);

    expect(await folder()).toEqual(files({ 'projects/x/app.yaml': 'x1', 'a.yaml': 'a2' }));
    expect(await hidden()).toEqual([]);
  });

  it('turns a file into a folder of the same name, and back', async () => {
    await write('c', { 'projects/x': 'a file' });

    await write('c', { 'projects/x/app.yaml': 'x1' });
    expect(await folder()).toEqual(files({ 'projects/x/app.yaml': 'x1' }));

    await write('c', { 'projects/x': 'a file again' });
    expect(await folder()).toEqual(files({ 'projects/x': 'a file again' }));
  });
});
