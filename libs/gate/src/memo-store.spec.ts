import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPlatform } from '@flyte-gkp/platform';
import { diskSource, loadProjectText, Memo } from '@flyte-gkp/project-spec';
import { repoRoot } from '@flyte-gkp/testing';
import { SerializationMemo } from '@flyte-gkp/render';
import {
  bundleId,
  loadMemo,
  openMemo,
  openProjectTexts,
  projectMemoKeys,
  saveMemo,
  serializationMemo,
} from './memo-store.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'memo-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** The text of `objects` through the memo, and whether it had to be written. */
function through(memo: SerializationMemo, objects: object[]) {
  let wrote = false;
  const text = memo.text(objects, () => {
    wrote = true;
    return JSON.stringify(objects);
  });
  return { text, wrote };
}

const memoLines = async (folder = 'yaml') => {
  const dir = join(root, '.tools/cache', folder);
  const [file] = await readdir(dir);
  return (await readFile(join(dir, file), 'utf8')).split('\n').filter(Boolean);
};

describe('the memos on disk', () => {
  it('keeps what a render wrote for the next one, appending only the new texts', async () => {
    const first = new SerializationMemo();
    through(first, [{ a: 1 }]);
    through(first, [{ b: 2 }]);
    await saveMemo(root, serializationMemo, first);
    expect(await memoLines()).toHaveLength(2);

    const second = openMemo(root, serializationMemo)!;
    expect(through(second, [{ a: 1 }]).wrote, 'known: not written again').toBe(false);
    expect(through(second, [{ c: 3 }]).wrote).toBe(true);
    await saveMemo(root, serializationMemo, second);

    expect(await memoLines(), 'one line more, the rest untouched').toHaveLength(3);
    const third = openMemo(root, serializationMemo)!;
    expect([{ a: 1 }, { b: 2 }, { c: 3 }].map((o) => through(third, [o]).wrote)).toEqual([false, false, false]);
  });

  it('skips a damaged line, as a render killed while it appended leaves it', async () => {
    const memo = new SerializationMemo();
    through(memo, [{ a: 1 }]);
    await saveMemo(root, serializationMemo, memo);
    const [file] = await readdir(join(root, '.tools/cache/yaml'));
    await appendFile(join(root, '.tools/cache/yaml', file), '["half');

    const reopened = openMemo(root, serializationMemo)!;

    expect(through(reopened, [{ a: 1 }])).toEqual({ text: '[{"a":1}]', wrote: false });
  });

  it('keeps the specs that loaded, so that the next run does not parse them again', async () => {
    const spec = await readFile(join(repoRoot, 'projects/x.yaml'), 'utf8');
    const first = new Memo<string>();
    const loaded = loadProjectText('projects/x.yaml', spec, first);
    await saveMemo(root, loadMemo, first);
    expect(await memoLines('specs'), 'one spec, one line').toHaveLength(1);

    const second = openMemo(root, loadMemo)!;
    const again = loadProjectText('projects/x.yaml', spec, second);
    expect(again.ok && again.value.spec).toEqual(loaded.ok && loaded.value.spec);
    expect(second.written, 'known: not parsed, not saved again').toBe(0);
  });

  it('drops the memo of an earlier version of the code once this version saves its own', async () => {
    const folder = join(root, '.tools/cache/yaml');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'an-earlier-serializer.jsonl'), '["k","text"]\n');
    const memo = new SerializationMemo();
    through(memo, [{ a: 1 }]);
    await saveMemo(root, serializationMemo, memo);
    expect(await readdir(folder)).toEqual([`${serializationMemo.id}.jsonl`]);
  });
});

describe('the code a memo key names', () => {
  it('is the CLI bundle, by its bytes; the sources run by tests name none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bundle-'));
    try {
      const bundle = join(dir, 'flyte-gkp.mjs');
      await writeFile(bundle, 'export const v = 1;\n');
      const first = bundleId(pathToFileURL(bundle).href);
      await writeFile(bundle, 'export const v = 2;\n');
      expect(first).toMatch(/^[0-9a-f]{40}$/);
      expect(bundleId(pathToFileURL(bundle).href)).not.toBe(first);
      expect(bundleId(pathToFileURL(join(dir, 'other.mjs')).href)).toBeUndefined();
      expect(bundleId(), 'this test runs the sources').toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('changes with the code, the pins, the cluster, the spec file and its value', async () => {
    const loaded = await loadPlatform(diskSource(repoRoot));
    if (!loaded.ok) throw new Error('the platform does not load');
    const { platform } = loaded;
    const spec = loadProjectText('projects/x.yaml', await readFile(join(repoRoot, 'projects/x.yaml'), 'utf8'));
    if (!spec.ok) throw new Error('projects/x.yaml does not load');
    const x = { ...spec.value, file: 'projects/x.yaml' };
    const [cluster] = platform.clusters;
    const key = projectMemoKeys(platform, 'code-1')!;
    const reference = key(cluster, x);

    expect(key(cluster, { ...x, spec: structuredClone(x.spec) }), 'the same inputs, the same key').toBe(reference);
    expect(projectMemoKeys(platform, 'code-2')!(cluster, x)).not.toBe(reference);
    const repinned = { ...platform, pins: { ...platform.pins, images: {} } };
    expect(projectMemoKeys(repinned, 'code-1')!(repinned.clusters[0], x)).not.toBe(reference);
    const moved = { ...cluster, cluster: { ...cluster.cluster, appId: '999999' } };
    const otherCluster = { ...platform, clusters: [moved] };
    expect(projectMemoKeys(otherCluster, 'code-1')!(moved, x)).not.toBe(reference);
    expect(key(cluster, { ...x, file: 'projects/x.json' })).not.toBe(reference);
    expect(key(cluster, { ...x, spec: { ...x.spec, displayName: 'Other' } })).not.toBe(reference);
    expect(key(moved, x), 'a cluster the platform does not hold has no key').toBeUndefined();
    expect(projectMemoKeys(platform, undefined), 'no code named, no key').toBeUndefined();
  });

  it('keeps the texts of projects in a file per code, and drops that of a code no longer run', async () => {
    const loaded = await loadPlatform(diskSource(repoRoot));
    if (!loaded.ok) throw new Error('the platform does not load');
    const folder = join(root, '.tools/cache/yaml-by-project');
    const a = openProjectTexts(root, loaded.platform, 'code-a')!;
    a.memo.text([{ a: 1 }], () => 'a: 1\n', 'a project file');
    await saveMemo(root, a.kind, a.memo);

    const b = openProjectTexts(root, loaded.platform, 'code-b')!;
    expect(b.memo.knownCount, 'another code: none of its texts').toBe(0);
    b.memo.text([{ a: 1 }], () => 'a: 1\n', 'a project file');
    await saveMemo(root, b.kind, b.memo);

    expect(await readdir(folder)).toEqual([`${b.kind.id}.jsonl`]);
    expect(openProjectTexts(root, loaded.platform, 'code-b')!.memo.knownCount).toBe(1);
    expect(openProjectTexts(root, loaded.platform, undefined), 'no code named: no such memo').toBeUndefined();
  });
});
