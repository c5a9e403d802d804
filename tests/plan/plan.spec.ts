import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import type { Job } from 'kubernetes-types/batch/v1';
import type { ConfigMap } from 'kubernetes-types/core/v1';
import type { ChartObject } from '@flyte-gkp/helm';
import {
  commitWorkspace,
  createTempWorkspace,
  git,
  renderCommittedChart,
  repoRoot,
  type TempWorkspace,
} from '@flyte-gkp/testing';

/**
 * Pull requests of each kind in a real git repository: the base is a commit, each change a commit on a
 * branch of it, rendered as a contributor would. `plan --base` must report exactly what Argo CD will
 * do, and `validate --base` must fail only where deleting would go wrong.
 */
let ws: TempWorkspace;
const base = 'base';
const ns = (project: string, domain: string) => `103020-flytepoc-${project}-${domain}`;

interface PlanJson {
  changes: {
    cluster: string;
    project: string | null;
    action: string;
    kind: string;
    namespace: string | null;
    name: string;
    diff: { path: string; before?: unknown; after?: unknown }[];
  }[];
  risks: {
    rule: string;
    severity: string;
    message: string;
    cluster: string;
    project: string | null;
    kind: string;
    namespace: string | null;
    name: string;
  }[];
  reviews: { needed: { project: string | null; reviewers: string[]; onboarding: boolean }[]; crossTenant: boolean };
}

async function plan(against = base): Promise<PlanJson> {
  const result = await ws.cli('plan', '--base', against, '--format', 'json');
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as PlanJson;
}
const summary = (p: PlanJson) =>
  p.changes.map((c) => `${c.project ?? 'platform'} ${c.action} ${c.kind} ${c.namespace ?? ''}/${c.name}`);
const risks = (p: PlanJson) => p.risks.map((r) => `${r.severity} ${r.rule} ${r.kind} ${r.name}`);

/** Flyte's pods as Argo CD would run them: every Deployment, StatefulSet and DaemonSet of the platform's build. */
const workloads = (objects: ChartObject[]) =>
  objects
    .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(String(o.object.kind)))
    .map((o) => o.text)
    .sort();

/** A change on a branch of the base: edit, render, commit. */
async function change(branch: string, edit: () => Promise<void>, from = base) {
  await git(ws.root, 'checkout', '-q', '-B', branch, from);
  await edit();
  const render = await ws.cli('render');
  expect(render.exitCode, render.stdout + render.stderr).toBe(0);
  await git(ws.root, 'add', '-A');
  await git(ws.root, 'commit', '-q', '-m', branch);
}
const editFile = async (file: string, from: string, to: string) => {
  const path = join(ws.root, file);
  const text = await readFile(path, 'utf8');
  expect(text).toContain(from);
  await writeFile(path, text.replace(from, to));
};

/**
 * What one domain of a project holds, in the plan's order (namespace, kind, name): the cluster-scoped Namespace first.
 */
const domainObjects = (project: string, domain: string, owners: string[]) => [
  `Namespace /${ns(project, domain)}`,
  `ConfigMap ${ns(project, domain)}/flyte-data-config`,
  `ExternalSecret ${ns(project, domain)}/mercury-${project}`,
  `LimitRange ${ns(project, domain)}/container-defaults`,
  `NetworkPolicy ${ns(project, domain)}/tenant-isolation`,
  `ResourceQuota ${ns(project, domain)}/project-quota`,
  `Role ${ns(project, domain)}/flyteadmin`,
  `Role ${ns(project, domain)}/flytepropeller`,
  `Role ${ns(project, domain)}/kubernetes-dashboard`,
  ...owners.map((role) => `Role ${ns(project, domain)}/owners-${role}`),
  `RoleBinding ${ns(project, domain)}/flyteadmin`,
  `RoleBinding ${ns(project, domain)}/flytepropeller`,
  `RoleBinding ${ns(project, domain)}/kubernetes-dashboard`,
  ...owners.map((role) => `RoleBinding ${ns(project, domain)}/owners-${role}`),
  `SecretStore ${ns(project, domain)}/${ns(project, domain)}`,
  `ServiceAccount ${ns(project, domain)}/flyte-workflow`,
  `ServiceAccount ${ns(project, domain)}/mercury-vault-auth`,
];

/** What removing one domain deletes: its objects and its Vault role (outside any namespace, after the Namespace). */
// A protected domain's namespace and the fences kept with it stay in the cluster: Argo CD keeps them.
const keptKinds = /^(Namespace|LimitRange|NetworkPolicy|ResourceQuota) /;
const domainRemoved = (project: string, domain: string, owners: string[], kept: 'protected' | 'decommissioned') => {
  const [namespace, ...inside] = domainObjects(project, domain, owners);
  return [namespace, `VaultRole /${ns(project, domain)}`, ...inside].map(
    (o) => `${project} ${kept === 'protected' && keptKinds.test(o) ? 'keep' : 'delete'} ${o}`,
  );
};

beforeAll(async () => {
  ws = await createTempWorkspace();
  await commitWorkspace(ws.root);
  await git(ws.root, 'tag', base);
});
afterAll(() => ws?.remove());

describe('plan --base in a real repository', () => {
  it(
    'adding a project creates its Argo CD objects and namespaces, ' +
      'and a new registration Job: Flyte never restarts',
    async () => {
      // The platform folder as Argo CD builds it (kustomize --enable-helm, the real chart), before and after.
      const workloadsBefore = workloads(await renderCommittedChart(ws.root));
      await change('add-z', () =>
        writeFile(
          join(ws.root, 'projects/z.yaml'),
          [
            'apiVersion: flytepoc.gkp.io/v1alpha1',
            'kind: FlyteProject',
            'id: z',
            'displayName: Project Z',
            'owners:',
            '  - { group: gkp-103020-z-admins, role: admin }',
            'domains:',
            '  d-dev: {}',
            'storage: { bucket: 103020-flytepoc-z, credentialsSecret: mercury-z }',
            '',
          ].join('\n'),
        ),
      );
      const result = await plan();
      const registration = (action: string, kind: string) =>
        result.changes.filter((c) => c.project === null && c.action === action && c.kind === kind).map((c) => c.name);
      const [oldJob, newJob] = [registration('delete', 'Job'), registration('create', 'Job')];
      expect(oldJob).toHaveLength(1);
      expect(newJob).toHaveLength(1);
      expect(newJob[0]).toMatch(/^flyte-project-registration-[0-9a-f]{10}$/);
      expect(newJob).not.toEqual(oldJob);
      // The old Job and its ConfigMap pruned, the new pair created (in the plan's order: kind, then name).
      const platformChanges = summary(result).filter((c) => c.startsWith('platform '));
      expect([...platformChanges].sort()).toEqual(
        [
          `platform create ConfigMap 103020-flytepoc-dev/${newJob[0]}`,
          `platform delete ConfigMap 103020-flytepoc-dev/${oldJob[0]}`,
          `platform create Job 103020-flytepoc-dev/${newJob[0]}`,
          `platform delete Job 103020-flytepoc-dev/${oldJob[0]}`,
        ].sort(),
      );
      expect(summary(result).slice(platformChanges.length)).toEqual([
        // What Vault needs, outside any namespace: the platform team applies it (operator guide).
        'z create Namespace /103020-flytepoc-z-d-dev',
        'z create VaultPolicy /103020-flytepoc-z-mercury',
        'z create VaultRole /103020-flytepoc-z-d-dev',
        ...domainObjects('z', 'd-dev', ['admin'])
          .slice(1)
          .map((o) => `z create ${o}`),
        'z create AppProject argocd/flytepoc-z',
        'z create Application argocd/flytepoc-z',
      ]);
      // No restart: what plan says instead is what happens in Flyte, and what the tenant sees meanwhile.
      expect(risks(result)).toEqual([`warning platform/project-registration ConfigMap ${newJob[0]}`]);
      expect(result.risks[0].message).toContain('z registered as "Project Z"');
      expect(result.risks[0].message).toContain('until the Job has run, a new project is missing from the console');
      // The base's CODEOWNERS does not name z yet: its default owner, the platform team, approves the onboarding.
      const platformTeam = [
        parse(await readFile(join(ws.root, 'platform/clusters/gkp-dev.yaml'), 'utf8')).repo.platformTeam,
      ];
      expect(result.reviews).toEqual({
        needed: [
          { project: 'z', reviewers: platformTeam, onboarding: true },
          { project: null, reviewers: platformTeam, onboarding: false },
        ],
        crossTenant: false,
      });
      expect((await ws.cli('validate', '--base', base)).exitCode).toBe(0);

      const built = await renderCommittedChart(ws.root);
      expect(workloads(built)).toEqual(workloadsBefore);
      // The registration is none of the chart's objects: the platform's own manifests hold it, as applied.
      expect(built.filter((o) => o.object.kind === 'Job')).toEqual([]);
      const registrationObjects = parseAllDocuments(
        await readFile(join(ws.root, 'clusters/gkp-dev/platform/manifests/project-registration.yaml'), 'utf8'),
      ).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
      // Its Job names the new project with its display name, in the ConfigMap it mounts.
      const job = registrationObjects.find((o) => o.kind === 'Job') as unknown as Job;
      const mounted = job.spec!.template.spec!.volumes![0].configMap!.name;
      const configMap = registrationObjects.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name === mounted,
      ) as unknown as ConfigMap;
      expect(JSON.parse(configMap.data!['projects.json']).projects).toContainEqual({
        id: 'z',
        name: 'Project Z',
        description: '',
        archived: false,
      });
    },
  );

  it('renaming a project replaces the registration Job, and nothing else changes in Flyte', async () => {
    await change('rename-x', () => editFile('projects/x.yaml', 'displayName: Project X', 'displayName: Forecasting'));
    const result = await plan();
    expect(
      result.changes
        .filter((c) => c.project === null)
        .map((c) => `${c.action} ${c.kind}`)
        .sort(),
    ).toEqual(['create ConfigMap', 'create Job', 'delete ConfigMap', 'delete Job']);
    const configMap = result.changes.find((c) => c.action === 'create' && c.kind === 'ConfigMap')!;
    const data = configMap.diff.find((d) => d.path === 'data["projects.json"]' || d.path === 'data')!;
    expect(JSON.stringify(data.after)).toContain('Forecasting');
    expect(
      result.risks.map((r) => `${r.rule}: ${r.message.split(':').slice(1).join(':').split('.')[0].trim()}`),
    ).toEqual(['platform/project-registration: x renamed "Forecasting"']);
  });

  it('raising a quota updates that ResourceQuota alone, field by field, and says it was raised', async () => {
    await change('more-cpu', () =>
      editFile(
        'projects/x.yaml',
        'quota: { cpu: "8", memory: 16Gi, pods: 100 }',
        'quota: { cpu: "16", memory: 16Gi, pods: 100 }',
      ),
    );
    const result = await plan();
    expect(result.changes).toEqual([
      {
        cluster: 'gkp-dev',
        project: 'x',
        action: 'update',
        kind: 'ResourceQuota',
        namespace: ns('x', 'd-dev'),
        name: 'project-quota',
        diff: [{ path: 'spec.hard["requests.cpu"]', before: '8', after: '16' }],
      },
    ]);
    expect(result.risks).toEqual([
      {
        rule: 'quota/raised',
        severity: 'warning',
        message: `quota ${ns('x', 'd-dev')}/project-quota raised: requests.cpu 8 → 16`,
        cluster: 'gkp-dev',
        project: 'x',
        kind: 'ResourceQuota',
        namespace: ns('x', 'd-dev'),
        name: 'project-quota',
      },
    ]);
    expect((await ws.cli('validate', '--base', base)).exitCode).toBe(0);
  });

  it(
    'removing a domain without decommissioning it first is blocking, ' + 'and validate fails on the spec with the fix',
    async () => {
      await change('drop-t-dev', () => editFile('projects/x.yaml', '  t-dev: {}\n', ''));
      const result = await plan();
      expect(summary(result)).toEqual([
        ...domainRemoved('x', 't-dev', ['admin', 'edit'], 'protected'),
        'x update AppProject argocd/flytepoc-x',
      ]);
      expect(result.changes.at(-1)!.diff).toEqual([
        { path: 'spec.destinations[1].namespace', before: ns('x', 't-dev'), after: ns('x', 'p-dev') },
        { path: 'spec.destinations[2].namespace', before: ns('x', 'p-dev') },
        { path: 'spec.destinations[2].server', before: 'https://kubernetes.default.svc' },
      ]);
      expect(risks(result)).toEqual([`blocking deletion/protected-namespace Namespace ${ns('x', 't-dev')}`]);

      const validate = await ws.cli('validate', '--base', base);
      expect(validate.exitCode).toBe(1);
      expect(validate.stdout).toContain(
        `projects/x.yaml:14:1 domain t-dev removed from its domains: namespace ${ns('x', 't-dev')} is protected, ` +
          'so Argo CD will not delete it',
      );
      expect(validate.stdout).toContain(
        'fix: first set `decommission: true` on domain t-dev of projects/x.yaml in a pull request of its own',
      );
      // Without a base, the same checkout passes: the risk is in the change, not in the state.
      expect((await ws.cli('validate')).exitCode).toBe(0);
    },
  );

  it(
    'decommissioning first drops the protection (a warning), ' +
      'and the removal after it deletes the namespace and passes',
    async () => {
      await change('decommission-t-dev', () =>
        editFile('projects/x.yaml', '  t-dev: {}\n', '  t-dev: { decommission: true }\n'),
      );
      const first = await plan();
      // The namespace and the fences kept with it (quota, limits, network policy) all lose the protection.
      expect(summary(first)).toEqual([
        `x update Namespace /${ns('x', 't-dev')}`,
        `x update LimitRange ${ns('x', 't-dev')}/container-defaults`,
        `x update NetworkPolicy ${ns('x', 't-dev')}/tenant-isolation`,
        `x update ResourceQuota ${ns('x', 't-dev')}/project-quota`,
      ]);
      for (const change of first.changes) {
        expect(change.diff).toEqual([
          { path: 'metadata.annotations["argocd.argoproj.io/sync-options"]', before: 'Prune=false,Delete=false' },
        ]);
      }
      expect(risks(first)).toEqual([`warning deletion/namespace Namespace ${ns('x', 't-dev')}`]);
      expect((await ws.cli('validate', '--base', base)).exitCode).toBe(0);

      await change(
        'drop-decommissioned-t-dev',
        () => editFile('projects/x.yaml', '  t-dev: { decommission: true }\n', ''),
        'decommission-t-dev',
      );
      const second = await plan('decommission-t-dev');
      expect(summary(second)).toEqual([
        ...domainRemoved('x', 't-dev', ['admin', 'edit'], 'decommissioned'),
        'x update AppProject argocd/flytepoc-x',
      ]);
      expect(risks(second)).toEqual([`warning deletion/namespace Namespace ${ns('x', 't-dev')}`]);
      expect((await ws.cli('validate', '--base', 'decommission-t-dev')).exitCode).toBe(0);
    },
  );

  it('removing a whole spec is blocking on the spec as the base had it', async () => {
    await change('drop-y', () => rm(join(ws.root, 'projects/y.json')));
    const result = await plan();
    expect(result.risks.filter((r) => r.severity === 'blocking').map((r) => r.name)).toEqual([
      ns('y', 'd-dev'),
      ns('y', 'p-dev'),
      ns('y', 't-dev'),
    ]);
    const validate = await ws.cli('validate', '--shared-only', '--base', base);
    expect(validate.exitCode).toBe(1);
    expect(validate.stdout).toMatch(
      new RegExp(
        [
          String.raw`^projects\/y\.json:1:1 the spec was removed \(a position in the spec as the base had it\): `,
          String.raw`namespace 103020-flytepoc-y-d-dev is protected`,
        ].join(''),
        'm',
      ),
    );
    expect(validate.stdout).toContain('fix: first set `decommission: true` on domain d-dev of projects/y.json');
  });

  it(
    'a new flyteadmin pin rolls Flyte: ' + 'the chart`s flyteadmin Deployment runs the new image, no project changes',
    async () => {
      await change('roll-flyteadmin', () => editFile('platform/pins.yaml', 'tag: v0.6.13', 'tag: v0.6.14'));
      const result = await plan();
      // flyte/templates/admin/deployment.yaml sets flyteadmin.image on its container and on every init
      // container but check-db-ready (its own postgres image): run-migrations, generate-secrets (no
      // seed-projects: the values list no initial project).
      const [from, to] = ['cr.flyte.org/flyteorg/flyteadmin:v0.6.13', 'cr.flyte.org/flyteorg/flyteadmin:v0.6.14'];
      expect(result.changes).toEqual([
        {
          cluster: 'gkp-dev',
          project: null,
          action: 'update',
          kind: 'Deployment',
          namespace: '103020-flytepoc-dev',
          name: 'flyteadmin',
          diff: [
            { path: 'spec.template.spec.containers[0].image', before: from, after: to },
            { path: 'spec.template.spec.initContainers[1].image', before: from, after: to },
            { path: 'spec.template.spec.initContainers[2].image', before: from, after: to },
          ],
        },
      ]);
      expect(result.risks).toEqual([
        {
          rule: 'platform/restart',
          severity: 'warning',
          cluster: 'gkp-dev',
          project: null,
          kind: 'Deployment',
          namespace: '103020-flytepoc-dev',
          name: 'flyteadmin',
          message: expect.stringMatching(
            /^the pods of Deployment flyteadmin will be replaced \(spec\.template\.spec\.containers\[0\]\.image, /,
          ),
        },
      ]);
    },
  );

  it(
    'a platform change that leaves the chart`s values as they were renders no chart: ' + 'helm is not even needed',
    async () => {
      // Every project is rendered again (platform/ changed), but a pin's reason is no value of the chart.
      await change('pin-reason', () =>
        editFile(
          'platform/pins.yaml',
          'which knows only project|domain|project-domain.',
          'which knows only project|domain|project-domain (its release notes).',
        ),
      );
      // Without helm (an empty .tools), a chart render would fail the plan.
      const tools = join(ws.root, '.tools');
      await rename(tools, `${tools}.aside`);
      await mkdir(tools);
      try {
        const result = await plan();
        expect(result.changes.filter((c) => c.kind === 'Deployment')).toEqual([]);
        expect(result.risks).toEqual([]);
      } finally {
        await rm(tools, { recursive: true });
        await rename(`${tools}.aside`, tools);
      }
    },
  );

  it(
    'from a base that pulled the chart as a Helm source, ' + 'only what the platform folder`s post-render changes',
    async () => {
      // The layout before the platform folder: the Application's first source is the chart, values from `$values`.
      await git(ws.root, 'checkout', '-q', '-B', 'helm-source', base);
      const platform = join(ws.root, 'clusters/gkp-dev/platform');
      const documents = parseAllDocuments(await readFile(join(platform, 'application.yaml'), 'utf8')).map((d) =>
        d.toJS(),
      );
      const application = documents.find((d) => d.kind === 'Application');
      application.spec.sources = [
        {
          repoURL: 'registry.gkp.example/103020/charts',
          chart: 'flyte',
          targetRevision: 'v0.15.0',
          helm: { releaseName: 'flyte', valueFiles: ['$values/clusters/gkp-dev/platform/flyte-values.yaml'] },
        },
        { ...application.spec.sources[1], ref: 'values' },
      ];
      await writeFile(join(platform, 'application.yaml'), documents.map((d) => stringify(d)).join('---\n'));
      await rm(join(platform, 'kustomization.yaml'));
      await git(ws.root, 'commit', '-q', '-am', 'helm-source');
      await git(ws.root, 'checkout', '-q', base);

      const result = await plan('helm-source');
      // The project registration is no resource of the platform folder: the same on both sides.
      expect(summary(result)).toEqual([
        'platform update ConfigMap 103020-flytepoc-dev/flyte-propeller-config',
        'platform update Deployment 103020-flytepoc-dev/flyte-pod-webhook',
        'platform update Deployment 103020-flytepoc-dev/flyteadmin',
        'platform update Application argocd/flytepoc-flyte',
      ]);
      const admin = result.changes.find((c) => c.name === 'flyteadmin')!;
      expect(admin.diff).toEqual([
        {
          path: 'spec.template.spec.containers[1].image',
          before: 'docker.io/redocly/redoc',
          after: 'docker.io/redocly/redoc:v2.0.0-rc.59',
        },
        {
          path: 'spec.template.spec.initContainers[0].image',
          before: 'postgres:10.16-alpine',
          after: 'docker.io/library/postgres:10.16',
        },
      ]);
      const webhook = result.changes.find((c) => c.name === 'flyte-pod-webhook')!;
      expect(
        webhook.diff.every(
          (d) => d.path.startsWith('spec.template.metadata.annotations["vault.hashicorp.com/') && d.after === undefined,
        ),
      ).toBe(true);
    },
  );

  it('a revision that names no commit is a usage error, and the checkout is never touched', async () => {
    const before = await git(ws.root, 'status', '--porcelain');
    for (const args of [
      ['plan', '--base', 'no-such-branch'],
      ['validate', '--base', 'no-such-branch'],
      ['plan', '--base', '--upload-pack=x'],
    ]) {
      const result = await ws.cli(...args);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('--base');
      expect(result.stderr).not.toMatch(/^\s+at /m);
    }
    expect(await git(ws.root, 'status', '--porcelain')).toBe(before);
  });

  it(
    'markdown for the pull request: counts per project, ' + 'the blocking risk, details folded, written where asked',
    async () => {
      await git(ws.root, 'checkout', '-q', 'drop-t-dev');
      // As CI writes it for the job summary: into a folder a fresh checkout does not have.
      expect(
        (await ws.cli('plan', '--base', base, '--format', 'markdown', '--output', 'reports/plan.md')).exitCode,
      ).toBe(0);
      const markdown = await readFile(join(ws.root, 'reports/plan.md'), 'utf8');
      await rm(join(ws.root, 'reports'), { recursive: true });
      expect(markdown).toContain(
        '### Plan: 0 to create, 1 to update, 16 to delete, 4 to keep; 1 blocking risk, 0 warnings',
      );
      expect(markdown).toContain('| <code>gkp-dev</code> | <code>x</code> | 0 | 1 | 16 | 4 | **1 blocking** |');
      expect(markdown).toContain('<details><summary><code>gkp-dev</code> · <code>x</code>: 21 changes</summary>');
    },
  );

  it('a spec that does not load is reported as such, not as a removal of its namespaces', async () => {
    await git(ws.root, 'checkout', '-q', '-B', 'broken', base);
    await editFile('projects/x.yaml', 'displayName: Project X', 'displayName: [not, a, string]');
    const validate = await ws.cli('validate', '--base', base);
    await git(ws.root, 'checkout', '-q', '--', 'projects/x.yaml');
    expect(validate.exitCode).toBe(1);
    expect(validate.stdout).toContain('[spec/schema]');
    expect(validate.stdout).not.toContain('deletion/protected-namespace');
  });

  it('`nx affected -t validate` with NX_BASE set fails the change on its blocking risk', async () => {
    await git(ws.root, 'checkout', '-q', 'drop-t-dev');
    const env = {
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      CI: 'true',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      NX_BASE: base,
      NX_HEAD: 'HEAD',
    };
    const result = await execa(
      join(repoRoot, 'node_modules/.bin/nx'),
      ['affected', '-t', 'validate', '--outputStyle=static'],
      { cwd: ws.root, env, reject: false, all: true },
    );
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toContain(`domain t-dev removed from its domains: namespace ${ns('x', 't-dev')} is protected`);
  });

  it(
    "names each touched project's reviewers, " + "and marks a change to two tenants' projects in every format",
    async () => {
      await change('x-and-y', async () => {
        await editFile('projects/x.yaml', 'Demand forecasting pipelines', 'Demand forecasting models');
        await editFile('projects/y.json', 'Image classification experiments', 'Image classification models');
      });
      const spec = async (file: string) =>
        parse(await readFile(join(ws.root, file), 'utf8')) as { reviewers: string[] };
      const platformTeam = parse(await readFile(join(ws.root, 'platform/clusters/gkp-dev.yaml'), 'utf8')).repo
        .platformTeam as string;
      const x = (await spec('projects/x.yaml')).reviewers;
      const y = (await spec('projects/y.json')).reviewers;
      expect((await plan()).reviews).toEqual({
        needed: [
          { project: 'x', reviewers: [...x, platformTeam], onboarding: false },
          { project: 'y', reviewers: [...y, platformTeam], onboarding: false },
          // A new description reaches Flyte through the project registration, a file every project shares.
          { project: null, reviewers: [platformTeam], onboarding: false },
        ],
        crossTenant: true,
      });
      const human = (await ws.cli('plan', '--base', base)).stdout;
      expect(human).toContain(`project x: ${[...x, platformTeam].join(', ')}`);
      expect(human).toMatch(/CROSS-TENANT: touches the projects of several tenants at once \(x, y\)/);
      const markdown = (await ws.cli('plan', '--base', base, '--format', 'markdown')).stdout;
      expect(markdown).toContain('#### Reviews needed');
      expect(markdown).toContain('**Cross-tenant change**');
      expect(markdown).toContain(
        `- project <code>y</code>: ${[...y, platformTeam].map((t) => `<code>${t}</code>`).join(', ')}`,
      );

      await change('x-only', () => editFile('projects/x.yaml', 'pods: 100', 'pods: 90'));
      expect((await plan()).reviews).toEqual({
        needed: [{ project: 'x', reviewers: [...x, platformTeam], onboarding: false }],
        crossTenant: false,
      });
      expect((await ws.cli('plan', '--base', base)).stdout).not.toContain('CROSS-TENANT');
    },
  );
});
