// The cache over the REAL kubeconform and the offline schemas `npm run setup` installs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVerdictCache, runKubeconform, toolchainSettings, type KubeconformSettings } from '@flyte-gkp/kubeconform';
import { clusterKubernetesVersions, readToolchain } from '../../../tools/setup/setup.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const kubernetesVersion = clusterKubernetesVersions(repoRoot)[0]?.version ?? '1.21.0';
let workDir: string;
let settings: KubeconformSettings;

const files = [
  { path: 'valid.yaml', content: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cached\n' },
  { path: 'invalid.yaml', content: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cached\nspecc: {}\n' },
];

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'verdict-cache-'));
  settings = {
    ...toolchainSettings(repoRoot, kubernetesVersion, readToolchain(repoRoot).argoCd.version),
    cacheDir: join(workDir, 'cache'),
  };
  mkdirSync(join(workDir, 'files'));
  for (const f of files) writeFileSync(join(workDir, 'files', f.path), f.content);
  const cache = openVerdictCache(settings);
  cache.remember(
    files,
    await runKubeconform(
      files.map((f) => f.path),
      join(workDir, 'files'),
      settings,
    ),
  );
  await cache.save();
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('the kubeconform verdict cache', () => {
  it('knows a file kubeconform found valid, in a later run, by its content alone', async () => {
    const later = openVerdictCache(settings);

    expect(later.isKnownValid(files[0].content)).toBe(true);
    expect(later.isKnownValid(`${files[0].content}# one byte more\n`)).toBe(false);
  });

  it('says when it knows nothing, so that no file needs reading first', async () => {
    expect(openVerdictCache({ ...settings, cacheDir: join(workDir, 'empty') }).knowsNothing).toBe(true);
    expect(openVerdictCache(settings).knowsNothing).toBe(false);
  });

  it('never keeps a file with a finding, so its finding comes from a fresh run every time', async () => {
    expect(openVerdictCache(settings).isKnownValid(files[1].content)).toBe(false);
  });

  it('knows nothing under another toolchain: other Kubernetes version, schemas or binary', async () => {
    const otherVersion = openVerdictCache({ ...settings, kubernetesVersion: '1.22.0' });
    const otherSchemas = openVerdictCache({ ...settings, schemaLocations: settings.schemaLocations.slice(0, 1) });
    const unstampedBinary = join(workDir, 'kubeconform');
    writeFileSync(unstampedBinary, '');

    expect(otherVersion.isKnownValid(files[0].content)).toBe(false);
    expect(otherSchemas.isKnownValid(files[0].content)).toBe(false);
    expect(openVerdictCache({ ...settings, binary: unstampedBinary }).isKnownValid(files[0].content)).toBe(false);
  });

  it('starts over from a damaged cache file instead of failing', async () => {
    const damaged = { ...settings, cacheDir: join(workDir, 'damaged') };
    const first = openVerdictCache(damaged);
    first.remember(files.slice(0, 1), []);
    await first.save();
    const [cacheFile] = (await import('node:fs')).readdirSync(damaged.cacheDir);
    writeFileSync(join(damaged.cacheDir, cacheFile), '{"not": "a list"');

    const reopened = openVerdictCache(damaged);

    expect(reopened.isKnownValid(files[0].content)).toBe(false);
  });
});
