import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import {
  diffObjects,
  formatHuman,
  formatJson,
  formatMarkdown,
  planObjects,
  riskRules,
  runRisks,
  type Plan,
} from './index.js';

const origin = (project: string | null) => ({
  cluster: 'gkp-dev',
  file: 'f.yaml',
  project,
  sources: project ? [`projects/${project}.yaml`] : [],
});
const namespace = (name: string, project: string, protectedNs = true) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: {
    name,
    labels: { 'flytepoc.gkp.io/domain': 'd-dev' },
    annotations: protectedNs ? { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } : {},
  },
  project,
});
const quota = (namespaceName: string, cpu: string) => ({
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name: 'project-quota', namespace: namespaceName },
  spec: { hard: { 'requests.cpu': cpu } },
});

function planOf(base: [string | null, object][], head: [string | null, object][]): Plan {
  const objects = (side: [string | null, object][]) =>
    side.flatMap(([project, o]) => planObjects(origin(project), [o]));
  const [b, h] = [objects(base), objects(head)];
  const changes = diffObjects(b, h);
  return {
    base: { revision: 'origin/main', commit: '0123456789abcdef0123' },
    changes,
    risks: runRisks(riskRules, { changes, base: b, head: h }),
  };
}

const sample = planOf(
  [
    ['x', quota('ns-x', '8')],
    ['y', namespace('ns-y', 'y')],
  ],
  [
    ['x', quota('ns-x', '16')],
    ['z', namespace('ns-z', 'z')],
    [
      null,
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'flytepoc-z', namespace: 'argocd' },
      },
    ],
  ],
);

describe('formatJson', () => {
  it('has exactly the documented fields, null for the platform and for a cluster-scoped namespace', () => {
    const json = JSON.parse(formatJson(sample));
    expect(Object.keys(json)).toEqual(['changes', 'risks']);
    expect(json.changes).toContainEqual({
      cluster: 'gkp-dev',
      project: 'x',
      action: 'update',
      kind: 'ResourceQuota',
      namespace: 'ns-x',
      name: 'project-quota',
      diff: [{ path: 'spec.hard["requests.cpu"]', before: '8', after: '16' }],
    });
    expect(
      json.changes.map((c: { project: string | null; action: string; name: string; namespace: string | null }) => [
        c.project,
        c.action,
        c.namespace,
        c.name,
      ]),
    ).toEqual([
      [null, 'create', 'argocd', 'flytepoc-z'],
      ['x', 'update', 'ns-x', 'project-quota'],
      ['y', 'keep', null, 'ns-y'],
      ['z', 'create', null, 'ns-z'],
    ]);
    expect(json.risks).toContainEqual({
      rule: 'deletion/protected-namespace',
      severity: 'blocking',
      message: expect.stringContaining('ns-y is protected'),
      cluster: 'gkp-dev',
      project: 'y',
      kind: 'Namespace',
      namespace: null,
      name: 'ns-y',
    });
    expect(json.risks).toContainEqual(
      expect.objectContaining({
        rule: 'quota/raised',
        severity: 'warning',
        project: 'x',
        message: 'quota ns-x/project-quota raised: requests.cpu 8 → 16',
      }),
    );
  });
});

describe('formatHuman', () => {
  it('groups by cluster and project, with the field diff of each update, then the risks and their fixes', () => {
    const text = formatHuman(sample);
    expect(text.split('\n').slice(0, 12)).toEqual([
      'plan against origin/main (0123456789ab): 2 to create, 1 to update, 0 to delete, 1 to keep; 1 blocking risk, ' +
        '1 warning',
      '',
      'cluster gkp-dev',
      '  platform',
      '    + create Application argocd/flytepoc-z',
      '  project x',
      '    ~ update ResourceQuota ns-x/project-quota',
      '        spec.hard["requests.cpu"]: "8" → "16"',
      '  project y',
      '    = keep Namespace ns-y (gone from git, left in the cluster by Argo CD: Prune=false)',
      '  project z',
      '    + create Namespace ns-z',
    ]);
    expect(text).toContain(
      'BLOCKING [deletion/protected-namespace] gkp-dev Namespace ns-y: namespace ns-y is protected',
    );
    expect(text).toContain('fix: first set `decommission: true` on domain d-dev of projects/y.yaml');
  });
});

describe('formatMarkdown', () => {
  it('counts per project in a table, lists the risks, and folds the details', () => {
    const md = formatMarkdown(sample);
    expect(md).toContain('### Plan: 2 to create, 1 to update, 0 to delete, 1 to keep; 1 blocking risk, 1 warning');
    expect(md).toContain('| <code>gkp-dev</code> | platform | 1 | 0 | 0 | 0 |  |');
    expect(md).toContain('| <code>gkp-dev</code> | <code>y</code> | 0 | 0 | 0 | 1 | **1 blocking** |');
    expect(md).toContain('| <code>gkp-dev</code> | <code>x</code> | 0 | 1 | 0 | 0 | 1 warning |');
    expect(md).toMatch(
      new RegExp(
        [
          String.raw`<details><summary><code>gkp-dev<\/code> · <code>x<\/code>: 1 change<\/summary>\n\n`,
          '```diff\\n',
          String.raw`~ ResourceQuota ns-x\/project-quota\n {4}spec.hard\["requests.cpu"\]: "8" → "16"\n`,
          '```',
        ].join(''),
      ),
    );
  });

  it('renders on GitHub as meant: a table of counts, and risks whose quoted commands are code', () => {
    const html = new MarkdownIt({ html: true }).render(formatMarkdown(sample));
    const table = /<table>([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
    const headers = [...table.matchAll(/<th[^>]*>(.*?)<\/th>/g)].map((m) => m[1]);
    const rowOfY = [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
      .map((m) => [...m[1].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]))
      .find((cells) => cells[1] === '<code>y</code>');

    expect(headers).toEqual(['Cluster', 'Project', 'Create', 'Update', 'Delete', 'Keep', 'Risks']);
    expect(rowOfY).toEqual([
      '<code>gkp-dev</code>',
      '<code>y</code>',
      '0',
      '0',
      '0',
      '1',
      '<strong>1 blocking</strong>',
    ]);
    expect(html).toContain('fix: first set <code>decommission: true</code> on domain d-dev of projects/y.yaml');
    expect(html).not.toMatch(/<code>[^<]*`/);
    expect(html).toContain('= Namespace ns-y (gone from git, left in the cluster by Argo CD: Prune=false)');
  });

  it('keeps text from a manifest inert: no HTML, and no backticks closing the fence', () => {
    const hostile = planOf(
      [],
      [
        [
          'x',
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'c', namespace: 'n' },
            data: { a: '```\n<img src=x>' },
          },
        ],
      ],
    );
    const md = formatMarkdown({
      ...hostile,
      changes: hostile.changes.map((c) => ({
        ...c,
        action: 'update' as const,
        diff: [{ path: 'data.a', before: '', after: '````<img src=x>' }],
      })),
    });
    const fence = /\n(`{5,})diff\n[\s\S]*?\n\1\n/.exec(md);
    expect(fence, md).not.toBeNull();
    expect(md.replace(fence![0], '')).not.toContain('<img');
  });

  it('stays under a pull-request comment`s size, and says how to see the rest', () => {
    const many = planOf(
      [],
      Array.from({ length: 3000 }, (_, i) => [`p${i}`, namespace(`ns-${i}`, `p${i}`)] as [string, object]),
    );
    const md = formatMarkdown(many);
    expect(md.length).toBeLessThan(65_536);
    expect(md).toMatch(/_\d+ more changes not shown: run `npm run plan -- --base 0123456789ab`._/);
  });
});
