import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireWrite } from '@flyte-gkp/output';
import { createTempWorkspace, type TempWorkspace } from '@flyte-gkp/testing';

let ws: TempWorkspace;
beforeAll(async () => {
  ws = await createTempWorkspace();
  await writeFile(
    join(ws.root, 'projects/bad.yaml'),
    'apiVersion: flytepoc.gkp.io/v1alpha1\nkind: FlyteProject\nid: bad\nowners: []\n',
  );
});
afterAll(() => ws.remove());

describe('the command line', () => {
  it('exits 1 with located, plain findings and no stack trace', async () => {
    const { exitCode, stdout, stderr } = await ws.cli('validate');
    expect(exitCode).toBe(1);
    expect(stdout).toContain('projects/bad.yaml:4:9 owners must NOT have fewer than 1 items [spec/schema]');
    expect(stdout + stderr).not.toMatch(/^\s+at /m);
    expect(stderr).toContain('problem(s)');
  });

  it('writes JSON a machine can read', async () => {
    const { stdout } = await ws.cli('validate', '--format', 'json');
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(false);
    expect(report.diagnostics.every((d: { file: string; rule: string }) => d.file && d.rule)).toBe(true);
    expect(report.checkedFiles).toContain('projects/x.yaml');
  });

  it('writes JUnit XML with one failing test case per file at fault', async () => {
    const out = join(ws.root, 'report.xml');
    await ws.cli('validate', '--format', 'junit', '--output', out);
    const xml = await (await import('node:fs/promises')).readFile(out, 'utf8');
    expect(xml).toMatch(/<testcase [^>]*name="projects\/bad.yaml"[^>]*>\s*<failure/);
    expect(xml).toMatch(/<testcase [^>]*name="projects\/x.yaml"[^>]*\/>/);
  });

  it('lists the exit codes of each command in --help, plan exiting 0 whatever its risks', async () => {
    const { exitCode, stdout } = await ws.cli('--help');

    expect(exitCode).toBe(0);
    expect(stdout).toContain(
      '  plan       0 the plan is written, whatever its risks (validate --base fails on the blocking ones), 1 a spec',
    );
    expect(stdout).toContain(
      '  validate   0 no finding, 1 one or more findings (with --base, blocking risks among them)',
    );
    expect(stdout).toContain('  render     0 rendered and validated (or nothing to change), 1 one or more findings');
    expect(stdout).not.toContain('1 findings');
  });

  it('exits 2 on a usage error', async () => {
    expect((await ws.cli('deploy')).exitCode).toBe(2);
    expect((await ws.cli('validate', '--format', 'xml')).exitCode).toBe(2);
  });

  it.each([['--bogus'], ['--project'], ['--format']])(
    'exits 2 with the usage, not a stack trace, on %s',
    async (option) => {
      const { exitCode, stdout, stderr } = await ws.cli('validate', option);
      expect(exitCode).toBe(2);
      expect(stderr).toContain(option);
      expect(stderr).toMatch(/^usage: npm run <render\|validate/m);
      expect(stdout).toBe('');
      expect(stderr).not.toMatch(/^\s+at /m);
    },
  );

  it.each([
    ['a spec that does not exist', 'projects/nope.yaml', 'there is no spec projects/nope.yaml'],
    ['a file of projects/ that is no spec', 'projects/notes.txt', 'there is no spec projects/notes.txt'],
    ['a path out of the repository', '../x.yaml', 'is not a file of projects/'],
    ['an absolute path', '/etc/passwd', 'is not a file of projects/'],
    ['a rendered file', 'clusters/gkp-dev/root-app.yaml', 'is not a file of projects/'],
    [
      'a path that climbs out of projects/ and back',
      'projects/../clusters/gkp-dev/root-app.yaml',
      'is not a file of projects/',
    ],
    ['a spec in a subfolder', 'projects/team/z.yaml', 'is not a file of projects/'],
  ])('exits 2 on --project naming %s, and checks nothing', async (_, name, message) => {
    const { exitCode, stdout, stderr } = await ws.cli('validate', '--project', 'projects/x.yaml', '--project', name);
    expect(exitCode).toBe(2);
    expect(stderr).toContain(`--project ${name}`);
    expect(stderr).toContain(message);
    expect(stdout).toBe('');
  });

  it.each([['render'], ['validate'], ['plan', '--base', 'HEAD']])(
    'exits 2 on %s with a --root that does not exist, naming it, and creates nothing',
    async (...command) => {
      const typo = join(ws.root, 'wrokspace');
      const { exitCode, stdout, stderr } = await ws.cli(...command, '--root', typo);
      expect(exitCode).toBe(2);
      expect(stderr).toContain(`--root ${typo}: there is no folder ${typo}`);
      expect(stderr).not.toContain('no cluster definition');
      expect(stdout).toBe('');
      expect(existsSync(typo), 'nothing made at the typo').toBe(false);
    },
  );

  it('exits 2 on a --root that names a file', async () => {
    const { exitCode, stderr } = await ws.cli('validate', '--root', join(ws.root, 'projects/x.yaml'));
    expect(exitCode).toBe(2);
    expect(stderr).toContain('is a file, not a folder');
  });

  it('takes --project as a path in the workspace, also written ./projects/...', async () => {
    const { exitCode, stdout } = await ws.cli('validate', '--project', './projects/x.yaml', '--format', 'json');
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout).checkedFiles).toContain('projects/x.yaml');
    expect(JSON.parse(stdout).checkedFiles).not.toContain('projects/bad.yaml');
  });

  it('exits 3 naming the holder when another render holds the lock, and leaves its lock alone', async () => {
    const held = await acquireWrite(join(ws.root, 'clusters'));
    try {
      const { exitCode, stderr } = await ws.cli('render');
      expect(exitCode).toBe(3);
      expect(stderr).toContain(`error: another render (pid ${process.pid}) is writing clusters/`);
      expect(existsSync(join(held.state, 'lock.json'))).toBe(true);
    } finally {
      await held.release();
    }
  });

  it('exits 3 with the setup command when kubeconform is not installed', async () => {
    await rm(join(ws.root, 'projects/bad.yaml'));
    await rm(join(ws.root, '.tools'));
    const { exitCode, stderr } = await ws.cli('validate');
    expect(exitCode).toBe(3);
    expect(stderr).toContain('npm run setup');
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});
