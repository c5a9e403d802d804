// A render killed part-way (a real SIGKILL, as a CI timeout or an OOM killer sends it) must leave the
// previous clusters/<cluster>/ intact, byte for byte, if killed before its commit point, and have its
// change finished by the next render if killed after. validate reports what was left and changes nothing.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkspace } from '@flyte-gkp/gate';
import { cliEntry, createPlatformFolder } from '@flyte-gkp/testing';
import { spec } from './spec-text.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cluster = 'gkp-dev';
/** Enough projects (8 files each) for the write to take a while; the kill is timed on the staging folder. */
const projectCount = Number(process.env.KILL_PROJECTS ?? 25);

async function workspace(): Promise<string> {
  const root = await createPlatformFolder('atomic-');
  await mkdir(join(root, 'projects'));
  return root;
}

/** Projects k000.. labelled `label`; every other generation drops the first ten and adds ten more. */
async function writeSpecs(root: string, label: string, generation: number) {
  await rm(join(root, 'projects'), { recursive: true, force: true });
  await mkdir(join(root, 'projects'));
  const shift = generation % 2 === 0 ? 0 : 10;
  for (let i = shift; i < projectCount + shift; i++) {
    const id = `k${String(i).padStart(3, '0')}`;
    await writeFile(join(root, 'projects', `${id}.yaml`), spec(id, label));
  }
}

async function cli(root: string, command: 'render' | 'validate') {
  const result = await execa(process.execPath, [cliEntry, command, '--root', root], {
    cwd: repoRoot,
    reject: false,
    timeout: 180_000,
  });
  return { exitCode: result.exitCode, output: `${result.stdout}\n${result.stderr}` };
}

/** Every file under `dir`: relative path → bytes. */
async function tree(dir: string): Promise<Map<string, Buffer>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return new Map(
    await Promise.all(
      files.map(async (f) => [relative(dir, f).split(sep).join('/'), await readFile(f)] as [string, Buffer]),
    ),
  );
}

function differences(expected: Map<string, Buffer>, actual: Map<string, Buffer>): string[] {
  const diff: string[] = [];
  for (const [path, bytes] of expected)
    if (!actual.get(path)?.equals(bytes)) diff.push(actual.has(path) ? `changed ${path}` : `missing ${path}`);
  for (const path of actual.keys()) if (!expected.has(path)) diff.push(`extra ${path}`);
  return diff;
}

/** What a fresh render of the workspace gives, computed in-process (not written anywhere). */
async function expectedRender(root: string): Promise<Map<string, Buffer>> {
  const workspace = await loadWorkspace(root);
  expect(workspace.diagnostics).toEqual([]);
  return new Map(
    (workspace.rendered.get(cluster) ?? []).map((f) => [
      f.path.slice(`clusters/${cluster}/`.length),
      Buffer.from(f.content),
    ]),
  );
}

const hidden = async (root: string) => (await readdir(join(root, 'clusters'))).filter((n) => n.startsWith('.'));

const roots: string[] = [];
afterAll(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));

describe('a render killed with SIGKILL while it writes', () => {
  let root: string;
  let before: Map<string, Buffer>;
  const current = () => join(root, 'clusters', cluster);
  const staging = () => join(root, 'clusters', '.render/staging', cluster);
  const plan = () => join(root, 'clusters', '.render/plan.json');

  beforeAll(async () => {
    root = await workspace();
    roots.push(root);
    await writeSpecs(root, 'Before', 0);
    const first = await cli(root, 'render');
    expect(first.exitCode, first.output).toBe(0);
    before = await tree(current());
    expect(before.size).toBeGreaterThan(projectCount * 4);
  }, 180_000);

  it('leaves the previous clusters/<cluster>/ intact, byte for byte, when killed before its commit', async () => {
    const attempts: string[] = [];
    let landed = false;
    // Delays after the staging folder appears: the first ones land mid-write; a finished render retries shorter.
    for (const [n, delay] of [15, 5, 0, 0].entries()) {
      await writeSpecs(root, `After-${n}`, n + 1);
      const render = execa(process.execPath, [cliEntry, 'render', '--root', root], {
        cwd: repoRoot,
        reject: false,
        detached: true,
      });
      let exited = false;
      void render.finally(() => (exited = true));
      while (!exited && !existsSync(staging())) await sleep(1);
      if (!exited) {
        await sleep(delay);
        // The whole process group: node and kubeconform if running.
        process.kill(-render.pid!, 'SIGKILL');
      }
      const result = await render;
      const stagedFiles = existsSync(staging()) ? (await tree(staging())).size : 0;
      if (result.exitCode === 0) {
        attempts.push(`delay ${delay} ms: the render finished first`);
        before = await tree(current());
        continue;
      }
      expect(result.signal, `killed, not failed: ${result.stdout}\n${result.stderr}`).toBe('SIGKILL');
      if (existsSync(plan())) {
        // Killed after its commit point: the next render finishes the write, and the new render is in place.
        attempts.push(`delay ${delay} ms: killed after the commit`);
        const render = await cli(root, 'render');
        expect(render.exitCode, render.output).toBe(0);
        expect(
          differences(await expectedRender(root), await tree(current())),
          'the committed render, finished',
        ).toEqual([]);
        before = await tree(current());
        continue;
      }
      landed = existsSync(staging());
      attempts.push(`delay ${delay} ms: killed with ${stagedFiles} files staged`);
      if (!landed) continue;
      expect(differences(before, await tree(current())), 'clusters/gkp-dev after the kill').toEqual([]);
      break;
    }
    console.log(`kill attempts (${projectCount} projects): ${attempts.join('; ')}`);
    expect(landed, `a kill while clusters/.render/staging/${cluster} existed: ${attempts.join('; ')}`).toBe(true);
  }, 300_000);

  it('the next validate reports the drift and what the kill left, and changes nothing', async () => {
    expect(await hidden(root), 'the kill left staging behind').toEqual(['.render']);
    const left = await tree(join(root, 'clusters/.render'));
    const validate = await cli(root, 'validate');
    // The specs changed and clusters/ still holds the previous render: that is drift, not a crash.
    expect(validate.exitCode, validate.output).toBe(1);
    expect(validate.output).toMatch(/\[drift\]/);
    expect(validate.output).toMatch(/^clusters\/\.render .*\[tree\/render-state\]$/m);
    expect(validate.output).not.toMatch(/^\s+at /m);
    expect(
      differences(left, await tree(join(root, 'clusters/.render'))),
      'validate is read-only: the staging stays',
    ).toEqual([]);
    expect(differences(before, await tree(current())), 'clusters/gkp-dev as before the kill').toEqual([]);
  }, 180_000);

  it('the next render writes the new output completely, and validate then passes', async () => {
    const render = await cli(root, 'render');
    expect(render.exitCode, render.output).toBe(0);
    expect(await hidden(root)).toEqual([]);
    expect(differences(await expectedRender(root), await tree(current())), 'a complete, fresh render').toEqual([]);
    const validate = await cli(root, 'validate');
    expect(validate.exitCode, validate.output).toBe(0);
  }, 180_000);
});
