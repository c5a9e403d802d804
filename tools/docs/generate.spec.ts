import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { rules as lintRules } from '@flyte-gkp/lint';
import { riskRules } from '@flyte-gkp/plan';
import {
  lintRuleTable,
  ownerPermissionTable,
  regenerate,
  repoRoot,
  riskRuleTable,
  specFieldTable,
  writeDocs,
} from './generate.js';

describe('the generated blocks of README.md and docs/', () => {
  it('are what `npm run docs` writes from their data', async () => {
    const { problems } = await regenerate(repoRoot);
    expect(problems, problems.join('\n')).toEqual([]);
  });
});

describe('a stale block', () => {
  const root = mkdtempSync(join(tmpdir(), 'docs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  for (const path of ['README.md', 'docs', 'projects', 'platform'])
    cpSync(join(repoRoot, path), join(root, path), { recursive: true });

  it('is reported naming its file, its data and the fix, and `npm run docs` rewrites it', async () => {
    const reference = join(root, 'docs/gate-reference.md');
    const text = readFileSync(reference, 'utf8');
    writeFileSync(reference, text.replace(/^\| `tenancy\/bucket` .*\n/m, ''));
    expect((await regenerate(root)).problems).toEqual([
      'docs/gate-reference.md: the block "lint-rules" differs from libs/lint/src/rules/: run `npm run docs`',
    ]);
    expect(await writeDocs(root)).toEqual(['docs/gate-reference.md']);
    expect(readFileSync(reference, 'utf8')).toBe(text);
    expect((await regenerate(root)).problems).toEqual([]);
  });

  it('is reported when a block is missing or unknown', async () => {
    const guide = join(root, 'docs/tenant-guide.md');
    const text = readFileSync(guide, 'utf8');
    writeFileSync(guide, text.replace(/<!-- BEGIN GENERATED spec-fields[\s\S]*?END GENERATED spec-fields -->/, ''));
    writeFileSync(join(root, 'docs/extra.md'), '<!-- BEGIN GENERATED nothing -->\n<!-- END GENERATED nothing -->\n');
    expect((await regenerate(root)).problems).toEqual([
      'docs/extra.md: the generated block "nothing" is unknown or ends as "nothing": fix its comments',
      'no file holds the generated block "spec-fields": add its BEGIN/END comments where it belongs',
    ]);
  });
});

/** The first column's code span of each row of a generated table. */
const firstColumn = (table: string) => [...table.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);

describe('the tables', () => {
  it('list every lint and risk rule once, with its own description, fix and severity', () => {
    expect(firstColumn(lintRuleTable())).toEqual(lintRules.map((r) => r.id));
    expect(firstColumn(riskRuleTable())).toEqual(riskRules.map((r) => r.id));
    for (const rule of riskRules) expect(riskRuleTable()).toContain(`| \`${rule.id}\` | ${rule.severity} |`);
    expect(lintRuleTable()).toContain('| `tenancy/bucket` | Each project has a bucket of its own');
  });

  it('name every field the example specs use, as a spec writes its path', () => {
    const paths = (value: unknown, prefix: string, key?: string): string[] => {
      if (Array.isArray(value)) return value.flatMap((v) => paths(v, `${prefix}[].`));
      if (value === null || typeof value !== 'object') return [];
      return Object.entries(value).flatMap(([k, v]) => {
        const name = key === 'domains' ? `<domain>` : k;
        return [`${prefix}${name}`, ...paths(v, `${prefix}${name}`.replace(/$/, Array.isArray(v) ? '' : '.'), k)];
      });
    };
    const specs = readdirSync(join(repoRoot, 'projects')).map((f) =>
      parse(readFileSync(join(repoRoot, 'projects', f), 'utf8')),
    );
    const used = new Set(specs.flatMap((spec) => paths(spec, '')).map((p) => p.replace(/\.$/, '')));
    const documented = firstColumn(specFieldTable());
    expect([...used].filter((p) => !documented.includes(p))).toEqual([]);
    expect(documented).toContain('storage.credentialsSecret');
  });

  it('give each owner role its rendered verbs, and no role a write on the fences of its namespace', async () => {
    const table = await ownerPermissionTable(repoRoot);
    const row = (resource: string) =>
      table
        .split('\n')
        .find((line) => line.startsWith(`| \`${resource}\` |`))
        ?.split(' | ')
        .slice(1);
    expect(table.split('\n')[0]).toBe('| Resource | `admin` | `edit` | `view` |');
    for (const fence of ['networking.k8s.io/networkpolicies', 'resourcequotas', 'limitranges'])
      expect(row(fence), fence).toEqual(['get, list, watch', 'get, list, watch', 'get, list, watch |']);
    expect(row('rbac.authorization.k8s.io/rolebindings')).toEqual(['get, list, watch', '—', '— |']);
    expect(row('pods/exec')).toEqual(['get, create', 'get, create', '— |']);
    expect(table).not.toMatch(/escalate|bind\b|impersonate|\*/);
  });
});
