// The bench measures synthetic workspaces: this checks that their specs are valid (the whole gate but
// drift: schema, lint, real kubeconform) and varied, so the bench can never silently time broken input.
// No timing asserts.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGate } from '@flyte-gkp/gate';
import { loadPlatform } from '@flyte-gkp/platform';
import { diskSource } from '@flyte-gkp/project-spec';
import { renderCodeowners } from '@flyte-gkp/render';
import {
  createWorkspace,
  generateSpecs,
  atMost,
  readPlatformFacts,
  type GeneratedSpec,
  type PlatformFacts,
} from './workspace.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
let specs: GeneratedSpec[];
let facts: PlatformFacts;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flyte-gkp-bench-spec-'));
  specs = await createWorkspace(repoRoot, join(dir, 'workspace'), 10);
  facts = await readPlatformFacts(repoRoot);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bench workspace generator, 10 projects', () => {
  it('writes exactly the generated specs, and the gate (schema, lint, kubeconform) finds nothing', async () => {
    expect(readdirSync(join(dir, 'workspace/projects')).sort()).toEqual(
      specs.map((s) => s.file.replace('projects/', '')).sort(),
    );

    const result = await runGate(join(dir, 'workspace'), { drift: false });

    expect(result.diagnostics).toEqual([]);
    expect(result.checkedFiles.filter((f) => f.startsWith('projects/'))).toHaveLength(10);
  });

  it('gives every project its own id, bucket and Secret name', () => {
    for (const key of [
      (s: GeneratedSpec) => s.spec.id,
      (s: GeneratedSpec) => s.spec.storage.bucket,
      (s: GeneratedSpec) => s.spec.storage.credentialsSecret,
    ]) {
      expect(new Set(specs.map(key)).size).toBe(10);
    }
  });

  it('varies formats, owners, roles, domains and quotas, all within the cluster ceiling', () => {
    const { cluster } = facts;
    expect(new Set(specs.map((s) => s.format))).toEqual(new Set(['yaml', 'json']));
    expect(new Set(specs.map((s) => s.spec.owners.length))).toEqual(new Set([1, 2, 3, 4]));
    expect(new Set(specs.flatMap((s) => s.spec.owners.map((o) => o.role)))).toEqual(new Set(['admin', 'edit', 'view']));

    // Some specs take every domain (no `domains`), others different subsets of the cluster's domains.
    expect(specs.some((s) => s.spec.domains === undefined)).toBe(true);
    const subsets = new Set(specs.filter((s) => s.spec.domains).map((s) => Object.keys(s.spec.domains!).join(',')));
    expect(subsets.size).toBeGreaterThanOrEqual(3);
    for (const s of specs)
      for (const domain of Object.keys(s.spec.domains ?? {})) expect(cluster.domains).toContain(domain);

    const quotas = specs.flatMap((s) => Object.values(s.spec.domains ?? {}).flatMap((d) => (d.quota ? [d.quota] : [])));
    expect(quotas.length).toBeGreaterThan(0);
    // Full and partial quotas.
    expect(new Set(quotas.map((q) => Object.keys(q).sort().join(','))).size).toBeGreaterThanOrEqual(2);
    for (const quota of quotas) {
      for (const resource of ['cpu', 'memory', 'pods'] as const) {
        const value = quota[resource];
        if (value !== undefined)
          expect(atMost(value, cluster.quota.ceiling[resource]), `${resource} ${value}`).toBe(true);
      }
    }
  });

  it('is deterministic: the same size gives the same specs', () => {
    expect(generateSpecs(facts, 10).map((s) => s.text)).toEqual(specs.map((s) => s.text));
    expect(generateSpecs(facts, 100).map((s) => s.spec.id)).toHaveLength(100);
  });
});

describe('CODEOWNERS at 1,000 generated projects', () => {
  it('stays far below the 3 MB past which GitHub reads no owner at all', async () => {
    const platform = await loadPlatform(diskSource(repoRoot));
    if (!platform.ok) throw new Error('the platform does not load');
    const text = renderCodeowners(platform.platform.clusters, generateSpecs(facts, 1000));
    const bytes = Buffer.byteLength(text);
    console.log(`.github/CODEOWNERS at 1,000 projects: ${bytes} bytes`);
    expect(text.split('\n').filter((line) => line.startsWith('/projects/'))).toHaveLength(1000);
    expect(bytes).toBeLessThan((3 * 1024 * 1024) / 10);
  });
});
