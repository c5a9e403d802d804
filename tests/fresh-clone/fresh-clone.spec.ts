// The README's promise to a newcomer: a clone of this repository, with nothing beside it, sets itself
// up and validates. Only the flyte chart is handed over (FLYTE_CHART, as a user without access to the
// chart's URL sets it); Argo CD's CRDs, kubeconform, helm and the schemas come from the registries.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { argoCdModule, readToolchain } from '../../tools/setup/setup.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const chart = process.env.FLYTE_CHART;
const tmp = mkdtempSync(join(tmpdir(), 'fresh-clone-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * The environment of a user's shell: the machine's HOME, PATH and Go settings (so Go's and npm's
 * caches are reused), none of the variables npm and vitest set for this run, and no override but
 * FLYTE_CHART.
 */
function userEnvironment(): Record<string, string> {
  const dropped = (name: string) => /^(npm_|VITEST|NODE_ENV$|ARGOCD_CRDS_DIR$|FLYTE_CHART_URL$)/i.test(name);
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && !dropped(entry[0]),
    ),
  );
}

it('a clone with nothing beside it sets up and validates, and stays clean', async (context) => {
  if (!chart) context.skip('FLYTE_CHART is not set: this machine cannot download the flyte chart, and .ci/run sets it');
  const head = (await execa('git', ['rev-parse', 'HEAD'], { cwd: repoRoot })).stdout;
  const clone = join(tmp, 'flyte-gkp');
  await execa('git', ['clone', '--quiet', repoRoot, clone]);
  await execa('git', ['checkout', '--quiet', '--detach', head], { cwd: clone });
  expect(readdirSync(tmp), 'nothing beside the clone').toEqual(['flyte-gkp']);

  const npm = (script: string) =>
    execa('npm', ['run', script], {
      cwd: clone,
      env: userEnvironment(),
      extendEnv: false,
      reject: false,
      all: true,
      timeout: 540_000,
    });
  const setup = await npm('setup');
  expect(setup.exitCode, setup.all).toBe(0);
  const { argoCd, externalSecrets } = readToolchain(repoRoot);
  expect(setup.all).toContain(
    `setup: Argo CD ${argoCd.version} schemas installed from ` +
      `the Go module ${argoCdModule(argoCd.version)}@${argoCd.version}`,
  );
  expect(setup.all).toContain(
    `setup: External Secrets Operator ${externalSecrets.version} schemas installed from the Go module ` +
      `${externalSecrets.module}@${externalSecrets.version}`,
  );
  expect(setup.all).toContain(
    `setup: flyte chart v0.15.0 installed into .tools/charts/flyte-v0.15.0 from the folder ${resolve(clone, chart!)}`,
  );

  const validate = await npm('validate');
  expect(validate.exitCode, validate.all).toBe(0);
  expect(validate.all).toMatch(/setup: flyte chart v0\.15\.0 up to date/);

  expect((await execa('git', ['status', '--porcelain'], { cwd: clone })).stdout).toBe('');
}, 600_000);
