import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomically } from './write-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'write-file-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('writeFileAtomically', () => {
  it('lets writers run at once (two caches saved by one render): each succeeds, one whole content wins', async () => {
    const file = join(dir, 'cache/verdicts.json');
    const contents = Array.from({ length: 8 }, (_, i) => `${String(i).repeat(100_000)}\n`);

    await Promise.all(contents.map((content) => writeFileAtomically(file, content)));

    expect(contents).toContain(await readFile(file, 'utf8'));
    expect(await readdir(join(dir, 'cache')), 'no temporary file left').toEqual(['verdicts.json']);
  });
});
