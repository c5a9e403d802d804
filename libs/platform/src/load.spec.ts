import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileSource } from '@flyte-gkp/project-spec';
import { clustersDir, loadPlatform, pinsFile } from './load.js';

const repoRoot = join(import.meta.dirname, '../../..');
const realCluster = readFileSync(join(repoRoot, clustersDir, 'gkp-dev.yaml'), 'utf8');
const realPins = readFileSync(join(repoRoot, pinsFile), 'utf8');

/** The repository's real platform files, with some replaced or added: path → text. */
function platformFiles(changes: Record<string, string> = {}): FileSource {
  const files = new Map<string, string>([
    [`${clustersDir}/gkp-dev.yaml`, realCluster],
    [pinsFile, realPins],
    ...Object.entries(changes),
  ]);
  return {
    list: async (dir) =>
      [...files.keys()]
        .filter((f) => f.startsWith(`${dir}/`))
        .map((f) => f.slice(dir.length + 1))
        .sort(),
    read: async (file) => files.get(file),
  };
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

async function findings(changes: Record<string, string>) {
  const result = await loadPlatform(platformFiles(changes));
  if (result.ok) throw new Error('the platform loaded');
  return result.diagnostics;
}

describe('loadPlatform', () => {
  it("loads the repository's own platform", async () => {
    expect(await loadPlatform(platformFiles())).toMatchObject({ ok: true });
  });

  describe('refuses two cluster files of one name, at the second one', () => {
    it('gkp-dev.yaml beside gkp-dev.yml', async () => {
      expect(await findings({ [`${clustersDir}/gkp-dev.yml`]: realCluster })).toEqual([
        expect.objectContaining({
          file: `${clustersDir}/gkp-dev.yml`,
          line: lineOf(realCluster, 'name: gkp-dev'),
          column: 7,
          rule: 'platform/schema',
          message: `the cluster gkp-dev is also defined by ${clustersDir}/gkp-dev.yaml`,
        }),
      ]);
    });

    it('a second file whose name: is the same', async () => {
      const found = await findings({ [`${clustersDir}/gkp-dev2.yaml`]: realCluster });
      expect(found).toContainEqual(
        expect.objectContaining({
          file: `${clustersDir}/gkp-dev2.yaml`,
          message: `the cluster gkp-dev is also defined by ${clustersDir}/gkp-dev.yaml`,
        }),
      );
    });
  });

  describe('refuses a value that must be one line but holds a line break, where it stands', () => {
    /** The cluster file with the value of `key` (the first line starting with it) replaced. */
    const withValue = (key: string, value: string) =>
      realCluster.replace(new RegExp(`^(\\s*)${key}: .*$`, 'm'), `$1${key}: ${value}`);

    it.each([
      [
        'a dashboard host injecting a line',
        'dashboardHost',
        '"flytepoc-dashboard.dev.gkp.example\\nx: y"',
        'flyte.dashboardHost',
        'U+000A',
      ],
      ['a host with a carriage return', 'host', '"flytepoc.dev.gkp.example\\r"', 'flyte.host', 'U+000D'],
      [
        'a block scalar keeping its final newline',
        'endpoint',
        '|\n    https://mercury.dev.gkp.example',
        'storage.endpoint',
        'U+000A',
      ],
      [
        'a Vault path with a line separator',
        'vaultPath',
        '"secret/data/x\\u2028y"',
        'storage.flyteCredentials.vaultPath',
        'U+2028',
      ],
      ['a repository URL with an escape sequence', 'url', '"https://git.gkp.example/x\\e[2J"', 'repo.url', 'U+001B'],
      [
        'a reserved namespace with a tab',
        'reservedNamespaces',
        '[default, "kube-*\\t", argocd]',
        'reservedNamespaces[1]',
        'U+0009',
      ],
    ])('%s', async (_, key, value, path, character) => {
      const text = withValue(key, value);
      expect(text).not.toBe(realCluster);
      expect(await findings({ [`${clustersDir}/gkp-dev.yaml`]: text })).toEqual([
        expect.objectContaining({
          file: `${clustersDir}/gkp-dev.yaml`,
          line: lineOf(realCluster, `${key}: `),
          rule: 'platform/schema',
          message: `${path} holds a line break or control character (${character}): it must be one line`,
        }),
      ]);
    });

    it('an admin endpoint injecting an [auth] section into every flytekit.config, once', async () => {
      const text = withValue('adminEndpoint', '"flytepoc.dev.gkp.example:443\\n[auth]\\nclient_secret = x"');
      expect(await findings({ [`${clustersDir}/gkp-dev.yaml`]: text })).toEqual([
        expect.objectContaining({
          file: `${clustersDir}/gkp-dev.yaml`,
          line: lineOf(realCluster, 'adminEndpoint: '),
          rule: 'platform/schema',
          message: expect.stringContaining('flyte.adminEndpoint'),
        }),
      ]);
    });

    it.each([
      ['an image tag', 'tag: v0.6.13', 'tag: "v0.6.13\\nlatest"', 'images.flyteadmin.tag'],
      [
        'an image repository',
        'repository: docker.io/library/postgres',
        'repository: "docker.io/library/postgres\\n"',
        'images.postgres.repository',
      ],
      ['a Python client version', 'flytekit: 0.20.0b2', 'flytekit: "0.20.0b2\\nevil==1.0"', 'python.flytekit'],
      ['an allowed registry', '- docker.io/library/', '- "docker.io/library/\\n"', 'allowedRegistries[1]'],
    ])('%s in the pins', async (_, line, replacement, path) => {
      const text = realPins.replace(line, replacement);
      expect(await findings({ [pinsFile]: text })).toEqual([
        expect.objectContaining({
          file: pinsFile,
          line: lineOf(realPins, line),
          message: expect.stringContaining(`${path} holds a line break`),
        }),
      ]);
    });

    it('a key with a line break (a Python package name reaches requirements files)', async () => {
      const text = realPins.replace('flytekit: 0.20.0b2', '"flytekit\\nevil": 0.20.0b2');
      expect(await findings({ [pinsFile]: text })).toEqual([
        expect.objectContaining({
          file: pinsFile,
          line: lineOf(realPins, 'flytekit: 0.20.0b2'),
          message: expect.stringContaining('the key of python.flytekit\nevil holds'),
        }),
      ]);
    });

    it("once, when the schema refuses the value already (a cluster name's pattern)", async () => {
      const text = realCluster.replace('name: gkp-dev', 'name: "gkp-dev\\n"');
      const found = (await findings({ [`${clustersDir}/gkp-dev.yaml`]: text })).filter(
        (d) => d.line === lineOf(realCluster, 'name: gkp-dev'),
      );
      expect(found).toHaveLength(1);
    });

    it("accepts a pin's why over several lines: people read it, nothing renders it", async () => {
      const text = realPins.replace('why: the chart', 'why: |\n      two\n      lines; the chart');
      expect(await loadPlatform(platformFiles({ [pinsFile]: text }))).toMatchObject({ ok: true });
    });
  });
});
