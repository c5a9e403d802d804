import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlatform, type Platform } from '@flyte-gkp/platform';
import { diskSource } from '@flyte-gkp/project-spec';
import { createTempWorkspace, type TempWorkspace } from '@flyte-gkp/testing';
import { diskTree, treeFolders } from './read-tree.js';
import { openRenderVerdict } from './render-verdict-cache.js';

let ws: TempWorkspace;
let platform: Platform;
beforeAll(async () => {
  ws = await createTempWorkspace({ ownCaches: true });
  const loaded = await loadPlatform(diskSource(ws.root));
  if (!loaded.ok) throw new Error('the platform does not load');
  platform = loaded.platform;
});
afterAll(() => ws.remove());

const verdictNow = async (code: string | undefined = 'code-1') =>
  openRenderVerdict(ws.root, platform, await diskTree(ws.root).read(treeFolders), code);
const pass = { checkedFiles: ['projects/x.yaml'], written: ['gkp-dev'] };

describe("render's verdict", () => {
  it('is known for the very input of a pass that changed nothing, and for no other', async () => {
    expect((await verdictNow())!.known).toBeUndefined();
    await (await verdictNow())!.rememberPass(pass);
    expect((await verdictNow())!.known).toEqual(pass);
    expect((await verdictNow('code-2'))!.known, 'other code').toBeUndefined();

    // render's own lock is no input: a render holds it while it reads
    await mkdir(join(ws.root, 'clusters/.render'), { recursive: true });
    await writeFile(join(ws.root, 'clusters/.render/lock.json'), '{"pid": 1}');
    expect((await verdictNow())!.known).toEqual(pass);

    const file = join(ws.root, 'clusters/gkp-dev/projects/x/manifests/d-dev.yaml');
    const text = await readFile(file, 'utf8');
    await writeFile(file, `${text}# a hand edit\n`);
    expect((await verdictNow())!.known, 'a hand edit of the output').toBeUndefined();
    await writeFile(file, text);
    expect((await verdictNow())!.known).toEqual(pass);

    await writeFile(join(ws.root, 'clusters/gkp-dev/stray.yaml'), '');
    expect((await verdictNow())!.known, 'a file more').toBeUndefined();
  });

  it('is not kept for the sources the tests run: no file names their code', async () => {
    const tree = await diskTree(ws.root).read(treeFolders);
    expect(openRenderVerdict(ws.root, platform, tree, undefined)).toBeUndefined();
  });
});

describe('render from the command line', () => {
  it('does nothing for an input that passed, and still repairs a hand edit of its output', async () => {
    const clean = await createTempWorkspace({ ownCaches: true });
    try {
      expect((await clean.cli('render')).exitCode).toBe(0);
      const second = await clean.cli('render');
      expect(second.stdout + second.stderr).toContain('0 changed');
      expect(await readdir(join(clean.root, '.tools/cache/render'))).toHaveLength(1);

      const file = join(clean.root, 'clusters/gkp-dev/projects/x/manifests/d-dev.yaml');
      const text = await readFile(file, 'utf8');
      expect((await clean.cli('render')).exitCode, 'known: nothing to do').toBe(0);
      await writeFile(file, text.replace('kind: ResourceQuota', 'kind: LimitRange'));
      const repaired = await clean.cli('render');
      expect(repaired.stdout + repaired.stderr).toContain('1 changed');
      expect(await readFile(file, 'utf8')).toBe(text);
    } finally {
      await clean.remove();
    }
  });
});
