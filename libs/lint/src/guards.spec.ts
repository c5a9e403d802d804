// Some rules guard the renderer rather than the specs: no input file can make today's renderer break
// them, so these tests break the rendered output in memory, the way a renderer bug would.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorkspace, type Workspace } from '@flyte-gkp/gate';
import type { RenderedFile } from '@flyte-gkp/render';
import { flyteadminVersion } from './rules/compat.js';
import { imagesPinned } from './rules/images.js';
import { clusterConvention } from './rules/naming.js';
import { applicationProject, tenantScope } from './rules/tenancy.js';
import type { LintRule } from './rule.js';
import { fixturesRoot, overlayWorkspace } from './testing.js';

const roots: string[] = [];
afterAll(() => roots.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Project forecast in d-dev and p-dev on the real gkp-dev platform. */
async function workspace(): Promise<Workspace> {
  const root = overlayWorkspace(join(fixturesRoot, 'tenancy/scope/pass/own-only'));
  roots.push(root);
  return loadWorkspace(root);
}

/** A rendered file to change: its objects are copied first, since they share arrays with the renderer's constants. */
function rendered(ws: Workspace, path: string): RenderedFile {
  const file = ws.rendered.get('gkp-dev')?.find((f) => f.path === path);
  if (!file) throw new Error(`nothing rendered at ${path}`);
  file.objects = structuredClone(file.objects);
  return file;
}

/** Writes the file's objects out again after a test changed them. */
function rewrite(file: RenderedFile) {
  file.content = file.objects.map((o) => stringify(o, { version: '1.1' })).join('---\n');
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

/** Breaks one rendered file in memory: the rule must report exactly that, at the line the change wrote. */
async function expectOneFinding(
  rule: LintRule,
  {
    file: path,
    change,
    line,
    message,
  }: { file: string; change: (f: RenderedFile) => unknown; line: string; message: string },
) {
  const ws = await workspace();
  const file = rendered(ws, path);
  change(file);
  rewrite(file);
  expect(rule.check(ws)).toEqual([
    expect.objectContaining({
      file: path,
      line: lineOf(file.content, line),
      message: expect.stringContaining(message),
    }),
  ]);
}

type Kube = { kind: string; metadata: { name: string; namespace?: string }; spec: any; subjects?: any[] };
const appFile = 'clusters/gkp-dev/projects/forecast/application.yaml';
const ddevFile = 'clusters/gkp-dev/projects/forecast/manifests/d-dev.yaml';
const find = (file: RenderedFile, kind: string, name?: string) =>
  (file.objects as Kube[]).find((o) => o.kind === kind && (name === undefined || o.metadata.name === name))!;

describe('tenancy/scope', () => {
  it('finds nothing in what the renderer writes today', async () => {
    expect(tenantScope.check(await workspace())).toEqual([]);
  });

  it.each([
    {
      what: "an Application deploying to Flyte's namespace",
      file: appFile,
      change: (f: RenderedFile) => (find(f, 'Application').spec.destination.namespace = '103020-flytepoc-dev'),
      line: 'namespace: 103020-flytepoc-dev',
      message: 'deploys to 103020-flytepoc-dev',
    },
    {
      what: "an AppProject destination in another project's namespace",
      file: appFile,
      change: (f: RenderedFile) =>
        find(f, 'AppProject').spec.destinations.push({
          server: 'https://kubernetes.default.svc',
          namespace: '103020-flytepoc-x-d-dev',
        }),
      line: 'namespace: 103020-flytepoc-x-d-dev',
      message: 'lets Argo CD deploy to 103020-flytepoc-x-d-dev',
    },
    {
      what: 'an AppProject allowing a cluster-wide kind',
      file: appFile,
      change: (f: RenderedFile) =>
        find(f, 'AppProject').spec.clusterResourceWhitelist.push({
          group: 'rbac.authorization.k8s.io',
          kind: 'ClusterRoleBinding',
        }),
      line: 'kind: ClusterRoleBinding',
      message: 'allows the cluster-wide kind ClusterRoleBinding',
    },
    {
      what: 'an AppProject allowing every namespaced kind',
      file: appFile,
      change: (f: RenderedFile) =>
        find(f, 'AppProject').spec.namespaceResourceWhitelist.push({ group: '*', kind: '*' }),
      line: 'kind: "*"',
      message: 'allows the kind *',
    },
    {
      what: 'a cluster-scoped object',
      file: ddevFile,
      change: (f: RenderedFile) =>
        f.objects.push({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'forecast-everything' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [],
        }),
      line: 'kind: ClusterRoleBinding',
      message: 'ClusterRoleBinding forecast-everything is not a kind a project may have',
    },
    {
      what: "an object in another project's namespace",
      file: ddevFile,
      change: (f: RenderedFile) => (find(f, 'ResourceQuota').metadata.namespace = '103020-flytepoc-x-d-dev'),
      line: 'namespace: 103020-flytepoc-x-d-dev',
      message: 'ResourceQuota project-quota is in 103020-flytepoc-x-d-dev',
    },
    {
      what: "another project's Namespace",
      file: ddevFile,
      change: (f: RenderedFile) => (find(f, 'Namespace').metadata.name = '103020-flytepoc-x-d-dev'),
      line: 'name: 103020-flytepoc-x-d-dev',
      message: 'Namespace 103020-flytepoc-x-d-dev is 103020-flytepoc-x-d-dev',
    },
    {
      what: 'a RoleBinding to a group that is no owner',
      file: ddevFile,
      change: (f: RenderedFile) =>
        find(f, 'RoleBinding', 'owners-admin').subjects!.push({
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Group',
          name: 'system:authenticated',
        }),
      line: 'name: system:authenticated',
      message: 'the Group system:authenticated',
    },
    {
      what: "a RoleBinding to a service account of Flyte's namespace that is not Flyte's",
      file: ddevFile,
      change: (f: RenderedFile) => (find(f, 'RoleBinding', 'flytepropeller').subjects![0].name = 'default'),
      line: 'name: default',
      message: 'the ServiceAccount 103020-flytepoc-dev/default',
    },
    {
      what: "a RoleBinding to Flyte's service account name in another namespace",
      file: ddevFile,
      change: (f: RenderedFile) =>
        (find(f, 'RoleBinding', 'flytepropeller').subjects![0] = {
          kind: 'ServiceAccount',
          namespace: '103020-flytepoc-x-d-dev',
          name: 'flytepropeller-of-x',
        }),
      line: 'name: flytepropeller-of-x',
      message: 'the ServiceAccount 103020-flytepoc-x-d-dev/flytepropeller-of-x',
    },
  ])('reports $what at its line', (broken) => expectOneFinding(tenantScope, broken));
});

describe('tenancy/application-project', () => {
  it('finds nothing in what the renderer writes today', async () => {
    expect(applicationProject.check(await workspace())).toEqual([]);
  });

  const rootFile = 'clusters/gkp-dev/root-app.yaml';
  const platformFile = 'clusters/gkp-dev/platform/application.yaml';
  it.each([
    {
      what: 'a tenant Application in the AppProject of the platform',
      file: appFile,
      change: (f: RenderedFile) => (find(f, 'Application').spec.project = 'flytepoc-platform'),
      line: 'project: flytepoc-platform',
      message: 'Application flytepoc-forecast runs in the AppProject flytepoc-platform, not in flytepoc-forecast',
    },
    {
      what: "a tenant Application in Argo CD's default AppProject",
      file: appFile,
      change: (f: RenderedFile) => (find(f, 'Application').spec.project = 'default'),
      line: 'project: default',
      message: "Application flytepoc-forecast runs in Argo CD's default AppProject",
    },
    {
      what: "the root Application in Argo CD's default AppProject",
      file: rootFile,
      change: (f: RenderedFile) => (find(f, 'Application').spec.project = 'default'),
      line: 'project: default',
      message: "Application gkp-dev-root runs in Argo CD's default AppProject",
    },
    {
      what: 'the root Application without its AppProject beside it',
      file: rootFile,
      change: (f: RenderedFile) => (f.objects = f.objects.filter((o) => (o as Kube).kind !== 'AppProject')),
      line: 'project: flytepoc-root',
      message: 'flytepoc-root, the AppProject rendered for it, is not in clusters/gkp-dev/root-app.yaml',
    },
    {
      what: 'the Flyte Application in the root AppProject',
      file: platformFile,
      change: (f: RenderedFile) => (find(f, 'Application').spec.project = 'flytepoc-root'),
      line: 'project: flytepoc-root',
      message: 'Application flytepoc-flyte runs in the AppProject flytepoc-root, not in flytepoc-platform',
    },
  ])('reports $what at its line', (broken) => expectOneFinding(applicationProject, broken));
});

const valuesFile = 'clusters/gkp-dev/platform/flyte-values.yaml';

describe('naming/cluster-convention', () => {
  it("reports a template flyteadmin would not substitute (it needs the spaces in '{{ project }}')", async () => {
    const ws = await workspace();
    const values = rendered(ws, valuesFile);
    values.content = values.content.replace('{{ project }}-{{ domain }}', '{{project}}-{{domain}}');
    values.objects = [parse(values.content, { version: '1.1' })];
    const clusterFile = readFileSync(join(ws.root, 'platform/clusters/gkp-dev.yaml'), 'utf8');
    expect(clusterConvention.check(ws)).toEqual([
      expect.objectContaining({
        file: 'platform/clusters/gkp-dev.yaml',
        line: lineOf(clusterFile, 'namespacePrefix:'),
        message: expect.stringContaining(
          'maps project forecast, domain d-dev to 103020-flytepoc-{{project}}-{{domain}}',
        ),
      }),
    ]);
  });
});

describe('images/pinned', () => {
  it('reports an image the values use that is no pin, at its line', async () => {
    const ws = await workspace();
    const values = rendered(ws, valuesFile);
    // A co-pilot image other than the pinned one.
    const doc = parse(values.content, { version: '1.1' });
    doc.configmap.k8s.plugins.k8s['co-pilot'] = {
      image: 'cr.flyte.org/lyft/flyteplugins/flytecopilot:0123456789abcdef',
    };
    values.content = stringify(doc, { version: '1.1' });
    values.objects = [doc];
    expect(imagesPinned.check(ws)).toEqual([
      expect.objectContaining({
        file: valuesFile,
        line: lineOf(values.content, 'flytecopilot:0123456789abcdef'),
        message: expect.stringContaining('flytecopilot:0123456789abcdef is not a pin'),
      }),
    ]);
  });

  it('reports a Vault Agent image that differs from its pin', async () => {
    const ws = await workspace();
    const values = rendered(ws, valuesFile);
    values.content = values.content.replace(
      'vault.hashicorp.com/agent-image: docker.io/hashicorp/vault:1.15.6',
      'vault.hashicorp.com/agent-image: docker.io/hashicorp/vault:1.16.0',
    );
    values.objects = [parse(values.content, { version: '1.1' })];
    expect(imagesPinned.check(ws)).toEqual([
      expect.objectContaining({ file: valuesFile, line: lineOf(values.content, 'vault:1.16.0') }),
    ]);
  });
});

describe('compat/flyteadmin-version', () => {
  it('needs flyteadmin v0.6.13 only when the values use namespace_mapping.template', async () => {
    const ws = await workspace();
    ws.platform.pins.images.flyteadmin.tag = 'flyte-v0.15.0';
    expect(flyteadminVersion.check(ws)).toHaveLength(1);
    const values = rendered(ws, valuesFile);
    const doc = parse(values.content, { version: '1.1' });
    delete doc.configmap.adminServer.namespace_mapping;
    values.content = stringify(doc, { version: '1.1' });
    values.objects = [doc];
    expect(flyteadminVersion.check(ws)).toEqual([]);
  });
});
