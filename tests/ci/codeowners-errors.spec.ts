// The CI step that asks GitHub how it reads CODEOWNERS, run against a stand-in `gh` that answers as
// GitHub's REST reference documents GET /repos/{owner}/{repo}/codeowners/errors (GitHub itself is not
// reachable from here).
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '@flyte-gkp/testing';

const script = join(repoRoot, '.ci/codeowners-errors');
let bin: string;
beforeEach(async () => {
  bin = await mkdtemp(join(tmpdir(), 'flyte-gkp-gh-'));
});
afterEach(() => rm(bin, { recursive: true, force: true }));

/** A `gh` that records its arguments and prints `response`. */
async function fakeGh(response: object) {
  await writeFile(join(bin, 'response.json'), JSON.stringify(response));
  await writeFile(join(bin, 'gh'), `#!/bin/sh\necho "$@" > "${bin}/args"\ncat "${bin}/response.json"\n`);
  await chmod(join(bin, 'gh'), 0o755);
}
const run = () =>
  execa(script, ['acme/flyte-gkp', 'abc123'], { reject: false, env: { PATH: `${bin}:${process.env.PATH}` } });

describe('.ci/codeowners-errors', () => {
  it('asks GitHub about the pushed commit and passes when it lists no error', async () => {
    await fakeGh({ errors: [] });
    const result = await run();
    expect(result.exitCode).toBe(0);
    expect(await readFile(join(bin, 'args'), 'utf8')).toContain('repos/acme/flyte-gkp/codeowners/errors?ref=abc123');
  });

  it('fails on an unknown team, with an annotation on its line', async () => {
    await fakeGh({
      errors: [
        {
          line: 7,
          column: 18,
          kind: 'Unknown owner',
          source: '/projects/x.yaml @acme/x-reviewers @acme/platform',
          suggestion: null,
          message:
            'Unknown owner on line 7: make sure @acme/x-reviewers exists and has write access to the repository\n\n' +
            '  /projects/x.yaml @acme/x-reviewers @acme/platform\n                   ^',
          path: '.github/CODEOWNERS',
        },
      ],
    });
    const result = await run();
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^::error file=\.github\/CODEOWNERS,line=7,col=18::CODEOWNERS Unknown owner: /);
    expect(result.stdout.split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('1 error(s)');
  });

  it('runs in the gate job on GitHub, for the head of a pull request or the pushed commit', async () => {
    const workflow = parse(await readFile(join(repoRoot, '.github/workflows/validate.yml'), 'utf8'));
    const step = workflow.jobs.gate.steps.find((s: { run?: string }) => s.run?.includes('.ci/codeowners-errors'));
    expect(step.if).toContain("github.server_url == 'https://github.com'");
    expect(step.run).toContain('github.event.pull_request.head.sha || github.sha');
    expect(step.env.GH_TOKEN).toBe('${{ github.token }}');
  });
});
