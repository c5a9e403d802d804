import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@flyte-gkp/testing';

const run = promisify(execFile);

// The last line of .ci/run, from a real vitest report of a suite with one passing test and one test file that
// fails to load: vitest itself reports that file as a failed suite with no failed test.
describe('.ci/run counts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ci-count-'));
    await writeFile(join(dir, 'ok.spec.mjs'), "import { it } from 'vitest';\nit('passes', () => {});\n");
    await writeFile(
      join(dir, 'broken.spec.mjs'),
      "import { it } from 'vitest';\nawait Promise.reject(new Error('cannot load'));\nit('never runs', () => {});\n",
    );
    await writeFile(join(dir, 'fails.spec.mjs'), "import { it } from 'vitest';\nit('fails', () => { throw 1; });\n");
    const vitest = join(repoRoot, 'node_modules/.bin/vitest');
    const report = ['run', '--root', dir, '--reporter=json', `--outputFile=${join(dir, 'report.json')}`];
    await run(vitest, report, { cwd: dir }).catch(() => undefined); // exits 1: two files fail
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('counts a test file that fails to load as failed, and names it on stderr', async () => {
    const counted = await run('node', [join(repoRoot, '.ci/count-results.mjs'), join(dir, 'report.json')]);
    expect(counted.stdout).toBe('1 passed, 2 failed\n');
    expect(counted.stderr).toBe(`${join(dir, 'broken.spec.mjs')}: failed to load: cannot load\n`);
  });
});
