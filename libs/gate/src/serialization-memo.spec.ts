import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SerializationMemo } from '@flyte-gkp/render';
import { openSerializationMemo, saveSerializationMemo } from './serialization-memo.js';

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

const memoLines = async () => {
  const dir = join(root, '.tools/cache/yaml');
  const [file] = await readdir(dir);
  return (await readFile(join(dir, file), 'utf8')).split('\n').filter(Boolean);
};

describe('the serialization memo on disk', () => {
  it('keeps what a render wrote for the next one, appending only the new texts', async () => {
    const first = new SerializationMemo();
    through(first, [{ a: 1 }]);
    through(first, [{ b: 2 }]);
    await saveSerializationMemo(root, first);
    expect(await memoLines()).toHaveLength(2);

    const second = openSerializationMemo(root)!;
    expect(through(second, [{ a: 1 }]).wrote, 'known: not written again').toBe(false);
    expect(through(second, [{ c: 3 }]).wrote).toBe(true);
    await saveSerializationMemo(root, second);

    expect(await memoLines(), 'one line more, the rest untouched').toHaveLength(3);
    const third = openSerializationMemo(root)!;
    expect([{ a: 1 }, { b: 2 }, { c: 3 }].map((o) => through(third, [o]).wrote)).toEqual([false, false, false]);
  });

  it('skips a damaged line, as a render killed while it appended leaves it', async () => {
    const memo = new SerializationMemo();
    through(memo, [{ a: 1 }]);
    await saveSerializationMemo(root, memo);
    const [file] = await readdir(join(root, '.tools/cache/yaml'));
    await appendFile(join(root, '.tools/cache/yaml', file), '["half');

    const reopened = openSerializationMemo(root)!;

    expect(through(reopened, [{ a: 1 }])).toEqual({ text: '[{"a":1}]', wrote: false });
  });
});
