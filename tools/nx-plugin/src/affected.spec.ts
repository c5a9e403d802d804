import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitWorkspace, createTempWorkspace, git, repoRoot, type TempWorkspace } from '@flyte-gkp/testing';

/**
 * The whole onboarding flow in a real git repository with the real Nx: generate a spec, render,
 * commit, change it, and see `nx affected` validate that project alone.
 */
let ws: TempWorkspace;
const nxEnv = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
const nx = (...args: string[]) =>
  execa(join(repoRoot, 'node_modules/.bin/nx'), args, { cwd: ws.root, env: nxEnv, reject: false, all: true });
const changedFiles = async () =>
  (await git(ws.root, 'status', '--porcelain', '--untracked-files=all'))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3))
    .sort();
const ranValidate = (output: string) => [...output.matchAll(/nx run ([\w-]+):validate/g)].map((m) => m[1]).sort();

beforeAll(async () => {
  ws = await createTempWorkspace();
  await commitWorkspace(ws.root);
});
afterAll(() => ws?.remove());

describe('onboarding a project in a real repository', () => {
  it(
    'the generator adds the spec and exactly that project`s ' + 'rendered files (plus the registration listing it)',
    async () => {
      const result = await nx(
        'g',
        './tools/nx-plugin:project',
        'z',
        '--displayName=Project Z',
        '--ownerGroup=gkp-103020-z-admins',
        '--domains=d-dev,t-dev',
        '--no-interactive',
      );
      expect(result.exitCode, result.all).toBe(0);
      expect(await changedFiles()).toEqual([
        '.github/CODEOWNERS',
        'clusters/gkp-dev/platform/manifests/project-registration.yaml',
        'clusters/gkp-dev/projects/z/application.yaml',
        'clusters/gkp-dev/projects/z/client/constraints.txt',
        'clusters/gkp-dev/projects/z/client/flytekit.config',
        'clusters/gkp-dev/projects/z/client/mercury.py',
        'clusters/gkp-dev/projects/z/manifests/d-dev.yaml',
        'clusters/gkp-dev/projects/z/manifests/t-dev.yaml',
        'clusters/gkp-dev/projects/z/vault/policies/103020-flytepoc-z-mercury.json',
        'clusters/gkp-dev/projects/z/vault/roles/103020-flytepoc-z-d-dev.json',
        'clusters/gkp-dev/projects/z/vault/roles/103020-flytepoc-z-t-dev.json',
        'projects/z.yaml',
      ]);
    },
  );

  it('a render after the generator changes nothing, and the gate passes', async () => {
    const before = await changedFiles();
    const render = await ws.cli('render');
    expect(render.exitCode, render.stderr).toBe(0);
    expect(await changedFiles()).toEqual(before);
    const validate = await ws.cli('validate');
    expect(validate.exitCode, validate.stdout + validate.stderr).toBe(0);
    await git(ws.root, 'add', '-A');
    await git(ws.root, 'commit', '-q', '-m', 'onboard z');
  });

  it('`nx affected -t validate` after a change to one spec validates that project only', async () => {
    const spec = join(ws.root, 'projects/z.yaml');
    await writeFile(
      spec,
      (await readFile(spec, 'utf8')).replace('  d-dev: {}', '  d-dev:\n    quota:\n      cpu: "6"'),
    );
    expect((await ws.cli('render')).exitCode).toBe(0);
    await git(ws.root, 'commit', '-q', '-am', 'more cpu for z');
    const result = await nx('affected', '-t', 'validate', '--base=HEAD~1', '--head=HEAD', '--outputStyle=static');
    expect(result.exitCode, result.all).toBe(0);
    expect(ranValidate(result.all ?? '')).toEqual(['flyte-z']);
  });

  it('a hand edit under clusters/ marks its project affected and fails the drift check with the fix', async () => {
    const rendered = join(ws.root, 'clusters/gkp-dev/projects/x/manifests/d-dev.yaml');
    await writeFile(rendered, (await readFile(rendered, 'utf8')).replace('pods: "100"', 'pods: "1000"'));
    await git(ws.root, 'commit', '-q', '-am', 'hand edit');
    const result = await nx('affected', '-t', 'validate', '--base=HEAD~1', '--head=HEAD', '--outputStyle=static');
    expect(result.exitCode).not.toBe(0);
    expect(ranValidate(result.all ?? '')).toEqual(['flyte-x']);
    expect(result.all).toContain('clusters/gkp-dev/projects/x/manifests/d-dev.yaml differs from a fresh render');
    expect(result.all).toContain('run `npm run render`');
  });

  it('a platform change re-validates every project, on purpose', async () => {
    await git(ws.root, 'checkout', '-q', 'HEAD~1', '--', 'clusters');
    await git(ws.root, 'commit', '-q', '-am', 'undo hand edit');
    const pins = join(ws.root, 'platform/pins.yaml');
    await writeFile(pins, `${await readFile(pins, 'utf8')}# reviewed\n`);
    await git(ws.root, 'commit', '-q', '-am', 'touch pins');
    const result = await nx('affected', '-t', 'validate', '--base=HEAD~1', '--head=HEAD', '--outputStyle=static');
    expect(ranValidate(result.all ?? '')).toEqual([
      'cluster-gkp-dev',
      'flyte-x',
      'flyte-y',
      'flyte-z',
      'projects-folder',
    ]);
  });

  it('a hand edit of .github/CODEOWNERS is validated and fails the drift check with the fix', async () => {
    const codeowners = join(ws.root, '.github/CODEOWNERS');
    await writeFile(codeowners, `${await readFile(codeowners, 'utf8')}/projects/x.yaml @acme/intruders\n`);
    await git(ws.root, 'commit', '-q', '-am', 'hand edit of CODEOWNERS');
    const result = await nx('affected', '-t', 'validate', '--base=HEAD~1', '--head=HEAD', '--outputStyle=static');
    expect(result.exitCode).not.toBe(0);
    expect(ranValidate(result.all ?? '')).toContain('cluster-gkp-dev');
    expect(result.all).toContain('.github/CODEOWNERS differs from a fresh render');
    await git(ws.root, 'revert', '--no-edit', 'HEAD');
  });
});

describe('`nx affected` in a pull request that adds something that is no spec', () => {
  /** Commits `change` on top, runs `nx affected -t validate` for that commit, then reverts it. */
  async function affectedBy(change: () => Promise<void>) {
    await change();
    await git(ws.root, 'add', '-A');
    await git(ws.root, 'commit', '-q', '-m', 'a pull request');
    const result = await nx('affected', '-t', 'validate', '--base=HEAD~1', '--head=HEAD', '--outputStyle=static');
    const changed = await changedFiles();
    await git(ws.root, 'revert', '--no-edit', 'HEAD');
    return { exitCode: result.exitCode, ran: ranValidate(result.all ?? ''), output: result.all ?? '', changed };
  }

  it('validates a stray file in projects/, and fails on it', async () => {
    const result = await affectedBy(() => writeFile(join(ws.root, 'projects/team-notes.yml.orig'), 'notes\n'));
    expect(result.ran).toEqual(['projects-folder']);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/projects\/team-notes\.yml\.orig:1:1 .*\[naming\/file-name\]/);
  });

  it('validates a spec in a folder under projects/, and fails on it', async () => {
    const result = await affectedBy(async () => {
      await mkdir(join(ws.root, 'projects/team'));
      await writeFile(join(ws.root, 'projects/team/z.yaml'), await readFile(join(ws.root, 'projects/z.yaml'), 'utf8'));
    });
    expect(result.ran).toEqual(['projects-folder']);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/projects\/team\/z\.yaml .*\[tree\/folder\]/);
  });

  it('validates a plan committed beside the cluster folders, and never applies it', async () => {
    const plan = JSON.stringify({
      folders: [{ name: 'gkp-dev', written: [], removed: ['projects/z/application.yaml'], whole: false }],
    });
    const result = await affectedBy(() => writeFile(join(ws.root, 'clusters/.render-plan.json'), plan));
    expect(result.ran).toEqual(['projects-folder']);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/clusters\/\.render-plan\.json .*\[tree\/render-state\]/);
    expect(result.changed, 'validate left the checkout as the pull request made it').toEqual([]);
  });

  it('a change to the Flyte values selects the cluster`s validate, which renders the chart with them', async () => {
    const values = join(ws.root, 'clusters/gkp-dev/platform/flyte-values.yaml');
    await writeFile(values, (await readFile(values, 'utf8')).replace('initialProjects: []', 'initialProjects: [x]'));
    await git(ws.root, 'commit', '-q', '-am', 'hand edit of the values');
    const result = await nx('affected', '-t', 'validate', '--base=HEAD~1', '--head=HEAD', '--outputStyle=static');
    expect(result.exitCode).not.toBe(0);
    expect(ranValidate(result.all ?? '')).toEqual(['cluster-gkp-dev']);
    expect(result.all).toContain('clusters/gkp-dev/platform/flyte-values.yaml differs from a fresh render');
  });

  it('a change to the pinned tools or chart (tools/toolchain.json) re-validates everything', async () => {
    await git(ws.root, 'checkout', '-q', 'HEAD~1', '--', 'clusters');
    await git(ws.root, 'commit', '-q', '-am', 'undo hand edit');
    const toolchain = join(ws.root, 'tools/toolchain.json');
    await writeFile(toolchain, (await readFile(toolchain, 'utf8')).replace('"$comment": "', '"$comment": "Reviewed. '));
    await git(ws.root, 'commit', '-q', '-am', 'touch the toolchain');
    const result = await nx('affected', '-t', 'validate', '--base=HEAD~1', '--head=HEAD', '--outputStyle=static');
    expect(ranValidate(result.all ?? '')).toEqual([
      'cluster-gkp-dev',
      'flyte-x',
      'flyte-y',
      'flyte-z',
      'projects-folder',
    ]);
  });
});
