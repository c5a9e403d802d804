// Isolation of the keys: projects whose ids are prefixes and suffixes of each other are rendered together,
// and for every pair A ≠ B nothing rendered for A (its manifests and its Vault files) names B's Vault path,
// key, policy, role or SecretStore. B's names are derived here from the cluster file's templates and B's
// id, not read from the output.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadPlatform, type Platform } from '@flyte-gkp/platform';
import { diskSource } from '@flyte-gkp/project-spec';
import { renderCluster, type RenderedFile } from '@flyte-gkp/render';
import { exampleProject } from '@flyte-gkp/testing';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const clusterFile = parse(readFileSync(join(repoRoot, 'platform/clusters/gkp-dev.yaml'), 'utf8')) as {
  domains: string[];
  projectCredentials: { vault: { path: string; policy: string; role: string } };
};
const ids = ['a', 'a-d', 'ab', 'd', 'ml', 'ml-t', 't-ml', 'mercury'];

/** Every name of B's that A must never hold, from the templates of the cluster file. */
function namesOf(id: string): string[] {
  const { path, policy, role } = clusterFile.projectCredentials.vault;
  const projectPath = path.replaceAll('{project}', id);
  const roles = clusterFile.domains.map((domain) => role.replaceAll('{project}', id).replaceAll('{domain}', domain));
  return [
    projectPath,
    projectPath.slice(projectPath.indexOf('/data/') + '/data/'.length), // the key the ExternalSecret reads
    policy.replaceAll('{project}', id),
    ...roles, // each also the name of its namespace's SecretStore
  ];
}

/** Every string a file holds, keys and values: a name is never part of a longer scalar it would match. */
function stringsOf(file: RenderedFile): Set<string> {
  const found = new Set<string>();
  const walk = (value: unknown) => {
    if (typeof value === 'string') found.add(value);
    else if (value && typeof value === 'object')
      for (const [key, item] of Object.entries(value)) {
        if (!Array.isArray(value)) found.add(key);
        walk(item);
      }
  };
  if (file.type === 'vault') walk(JSON.parse(file.content));
  else for (const document of parseAllDocuments(file.content)) walk(document.toJS());
  return found;
}

let files: RenderedFile[];
beforeAll(async () => {
  const loaded = await loadPlatform(diskSource(repoRoot));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  const projects = ids.map(exampleProject);
  const platform: Platform = loaded.platform;
  files = renderCluster(platform.clusters[0], platform.pins, projects);
});

describe("no project's rendered keys objects name another project's Vault path, role or store", () => {
  it.each(ids)('%s holds its own names', (id) => {
    const own = files.filter((f) => f.project === id && (f.type === 'manifest' || f.type === 'vault'));
    const held = new Set(own.flatMap((f) => [...stringsOf(f)]));
    for (const name of namesOf(id)) expect(held, `${id} holds ${name}`).toContain(name);
  });

  it.each(ids.flatMap((a) => ids.filter((b) => b !== a).map((b) => [a, b])))('%s names nothing of %s', (a, b) => {
    const theirs = new Set(namesOf(b));
    const leaks = files
      .filter((f) => f.project === a && (f.type === 'manifest' || f.type === 'vault'))
      .flatMap((f) => [...stringsOf(f)].filter((s) => theirs.has(s)).map((s) => `${f.path}: ${s}`));
    expect(leaks).toEqual([]);
  });
});
