import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProjectText, Memo } from '@flyte-gkp/project-spec';
import { repoRoot } from '@flyte-gkp/testing';
import { SerializationMemo } from '@flyte-gkp/render';
import { loadMemo, openMemo, saveMemo, serializationMemo } from './memo-store.js';

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
});
