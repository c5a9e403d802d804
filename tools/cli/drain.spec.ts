import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@flyte-gkp/testing';
import { createWorkspace } from '../bench/workspace.js';

// Hundreds of projects, none rendered yet: every report is megabytes, far beyond a pipe's 64 KiB buffer.
const projects = 300;
let dir: string;
let root: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flyte-gkp-drain-'));
  root = join(dir, 'workspace');
  await createWorkspace(repoRoot, root, projects);
  // The base holds the platform and no project: the plan adds them all.
  const git = (...args: string[]) => execa('git', args, { cwd: root });
  await git('init', '-q', '-b', 'main');
  await git('add', '-A', '.', ':!projects');
  await git('-c', 'user.email=gate@example.com', '-c', 'user.name=gate', 'commit', '-q', '-m', 'base');
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The command, its standard output read by `reader` in a shell pipeline: what `| jq` or a CI step would get. */
async function piped(command: string, reader: string) {
  const script = `node tools/cli/run.mjs ${command} | ${reader}; echo "exit \${PIPESTATUS[0]}" >&2`;
  const result = await execa('bash', ['-c', script], { cwd: root, reject: false, stripFinalNewline: false });
  const exit = Number(/^exit (\d+)$/m.exec(result.stderr)?.[1]);
  return { exit, stdout: result.stdout, stderr: result.stderr };
}

const slowReader = "sh -c 'sleep 2; cat'";

describe('a report read by a reader slower than the command', () => {
  it('arrives whole as JSON from validate, and the exit code is the findings', async () => {
    const { exit, stdout } = await piped('validate --format json', slowReader);

    expect(stdout.length).toBeGreaterThan(64 * 1024);
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(false);
    expect(report.checkedFiles.filter((f: string) => f.startsWith('projects/'))).toHaveLength(projects);
    expect(exit).toBe(1);
  }, 120_000);

  it('arrives whole as JUnit XML from validate: one test case per checked file, closed', async () => {
    const { exit, stdout } = await piped('validate --format junit', slowReader);

    expect(stdout.length).toBeGreaterThan(64 * 1024);
    expect(stdout.trimEnd()).toMatch(/<\/testsuites>$/);
    const cases = stdout.match(/<testcase /g) ?? [];
    expect(cases.length).toBeGreaterThan(projects);
    expect(exit).toBe(1);
  }, 120_000);

  it('arrives whole as JSON from plan, every added project in it', async () => {
    const { exit, stdout } = await piped('plan --base HEAD --format json', slowReader);

    expect(stdout.length).toBeGreaterThan(64 * 1024);
    const plan = JSON.parse(stdout);
    const added = new Set(
      (plan.changes as { project?: string }[]).map((c) => c.project).filter((p): p is string => Boolean(p)),
    );
    expect(added.size).toBe(projects);
    expect(exit).toBe(0);
  }, 120_000);
});

describe('a report whose reader is gone', () => {
  it('exits 3 and says the report was cut short, never 0 with half a document', async () => {
    const { exit, stderr } = await piped('validate --format json', "sh -c 'exec 0<&-; sleep 1'");

    expect(exit).toBe(3);
    expect(stderr).toContain(
      'error: the report could not be written whole to standard output (EPIPE: its reader stopped reading)',
    );
  }, 120_000);
});
