import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempWorkspace, type TempWorkspace } from '@flyte-gkp/testing';

let ws: TempWorkspace;
const bundle = () => join(ws.root, '.tools/cli/flyte-gkp.mjs');

beforeAll(async () => {
  ws = await createTempWorkspace({ examples: false });
  // A bundle of its own: the shared .tools/ must never hold one built from the edited copy below.
  await rm(join(ws.root, '.tools'));
  await mkdir(join(ws.root, '.tools'));
});
afterAll(() => ws.remove());

describe('tools/cli/run.mjs', () => {
  it('builds the bundle on first use and runs the command line from it', async () => {
    const { exitCode, stdout } = await ws.cli('--help');

    expect(exitCode).toBe(0);
    expect(stdout).toContain('usage: npm run <render|validate|plan>');
    expect((await stat(bundle())).isFile()).toBe(true);
  });

  it('reuses the bundle while nothing it was built from changed', async () => {
    const before = await stat(bundle());

    await ws.cli('--help');

    expect((await stat(bundle())).mtimeMs).toBe(before.mtimeMs);
  });

  it('rebuilds it when a library it bundles changes, so an edit takes effect at once', async () => {
    const format = join(ws.root, 'libs/diagnostics/src/format.ts');
    const source = await readFile(format, 'utf8');
    await writeFile(format, `${source}\nconsole.log('edited library loaded');\n`);

    const { stdout } = await ws.cli('--help');

    expect(stdout).toContain('edited library loaded');
  });
});
