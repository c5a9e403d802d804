// The chart stage on the REAL flyte chart v0.15.0 with the real helm and kubeconform, fed the values this
// repository renders, then those values altered the way a careless change would alter them.
import { mkdir, mkdtemp, readdir, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { HelmUnavailableError } from '@flyte-gkp/helm';
import type { Platform } from '@flyte-gkp/platform';
import { clusterPaths, type RenderedFile } from '@flyte-gkp/render';
import { createTempWorkspace, repoRoot } from '@flyte-gkp/testing';
import { clusterScopedExceptions } from './chart-exceptions.js';
import { checkChart } from './chart-stage.js';
import { loadWorkspace } from './workspace.js';

let platform: Platform;
let rendered: RenderedFile[];

beforeAll(async () => {
  const workspace = await loadWorkspace(repoRoot);
  platform = workspace.platform;
  rendered = workspace.rendered.get('gkp-dev')!;
});

const cluster = () => platform.clusters[0].cluster;
const valuesPath = () => clusterPaths(cluster()).flyteValues;

/** The render with its Helm values changed: what a change to flyte-values.ts or a platform file could produce. */
function withValues(change: (values: any) => void): RenderedFile[] {
  return rendered.map((f) => {
    if (f.path !== valuesPath()) return f;
    const values = parse(f.content, { version: '1.1' });
    change(values);
    return { ...f, content: stringify(values) };
  });
}

/** The render with the platform's kustomization changed: what a change to platform-kustomization.ts could produce. */
function withKustomization(change: (kustomization: any) => void): RenderedFile[] {
  return rendered.map((f) => {
    if (f.path !== clusterPaths(cluster()).platformKustomization) return f;
    const kustomization = parse(f.content);
    change(kustomization);
    return { ...f, content: stringify(kustomization) };
  });
}

/** Built every time: the tests look at the objects (a known verdict builds none). */
const check = (files: RenderedFile[]) => checkChart(repoRoot, cluster(), platform.pins, files, { verdictCache: false });

describe('chart stage', () => {
  it(
    'passes the chart rendered with the committed values, ' + 'with exactly the documented cluster-scoped objects',
    async () => {
      const { diagnostics, objects } = await check(rendered);
      expect(diagnostics).toEqual([]);
      const clusterScoped = objects.filter((o) =>
        ['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(o.object.kind as string),
      );
      const documented = clusterScopedExceptions
        .filter((e) => e.createdBy === 'chart')
        .flatMap((e) => e.objects.map((x) => `${x.kind} ${x.name}`));
      expect(clusterScoped.map((o) => `${o.object.kind} ${(o.object.metadata as any).name}`).sort()).toEqual(
        documented.sort(),
      );
      // Argo CD puts the objects without a namespace (the dashboard's) into the destination namespace.
      expect(
        objects.some((o) => !(o.object.metadata as any).namespace && o.source.includes('kubernetes-dashboard')),
      ).toBe(true);
    },
  );

  it('builds the chart without the project registration, which changes with every onboarding', async () => {
    const { objects } = await check(rendered);
    expect(objects.length).toBeGreaterThan(0);
    expect(
      objects.filter((o) => String((o.object.metadata as any).name).startsWith('flyte-project-registration')),
    ).toEqual([]);
    // It is one of the platform's own manifests instead: kubeconform, the lint rules and drift check it.
    const registration = rendered.find((f) => f.path === clusterPaths(cluster()).projectRegistration)!;
    expect(registration.path.startsWith(`${clusterPaths(cluster()).flyteManifests}/`)).toBe(true);
    expect(registration.type).toBe('manifest');
  });

  it('keeps the verdict of an input that passed: the same input again is not built, another one is', async () => {
    // A workspace with the repository's tools and a verdict cache of its own.
    const root = await mkdtemp(join(tmpdir(), 'chart-cache-'));
    try {
      await mkdir(join(root, '.tools'));
      for (const entry of ['bin', 'charts', 'schemas'])
        await symlink(join(repoRoot, '.tools', entry), join(root, '.tools', entry));
      const cached = (files: RenderedFile[], on = cluster()) => checkChart(root, on, platform.pins, files);

      const first = await cached(rendered);
      expect(first.diagnostics).toEqual([]);
      expect(first.objects.length, 'built the first time').toBeGreaterThan(0);

      const again = await cached(rendered);
      expect(again).toEqual({ diagnostics: [], objects: [] });

      const changed = await cached(withValues((v) => (v.flyteadmin.replicaCount = 2)));
      expect(changed.objects.length, 'new values: built again').toBeGreaterThan(0);
      const elsewhere = await cached(rendered, { ...cluster(), systemNamespace: 'flyte' });
      expect(elsewhere.objects.length, 'another system namespace: built again').toBeGreaterThan(0);

      const broken = withValues((v) => (v.datacatalog.service.type = 'NodePort'));
      for (const run of [1, 2])
        expect(
          (await cached(broken)).diagnostics.map((d) => d.rule),
          `a finding is found afresh, run ${run}`,
        ).toEqual(['chart/service-type']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it(
    'refuses an unquoted project id that Kubernetes reads as a boolean, ' +
      'naming the template, the value and its line',
    async () => {
      const files = withValues((v) => (v.flyteadmin.initialProjects = ['x', 'y']));
      const { diagnostics } = await check(files);
      expect(diagnostics).toHaveLength(1);
      const [finding] = diagnostics;
      expect(finding).toMatchObject({ file: valuesPath(), rule: 'chart/kubeconform' });
      expect(finding.message).toContain('Deployment flyteadmin (flyte/templates/admin/deployment.yaml)');
      expect(finding.message).toMatch(
        /initContainers\/\d+\/command\/\d+: got boolean, want string, from the value flyteadmin.initialProjects/,
      );
      const checked = files.find((f) => f.path === valuesPath())!.content;
      expect(checked.split('\n')[finding.line! - 1]).toContain('initialProjects:');
    },
  );

  it('refuses a NodePort Service, an unpinned image and an object outside the system namespace', async () => {
    const { diagnostics } = await check(
      withValues((v) => {
        v.datacatalog.service.type = 'NodePort';
        v.flyteconsole.image.tag = 'v0.20.1';
        v.forceNamespace = 'flyte';
      }),
    );
    const byRule = (rule: string) => diagnostics.filter((d) => d.rule === rule).map((d) => d.message);
    expect(byRule('chart/service-type')).toEqual([
      expect.stringContaining('Service datacatalog (flyte/templates/datacatalog/service.yaml): type NodePort'),
    ]);
    expect(byRule('chart/image')).toEqual([
      expect.stringMatching(
        new RegExp(
          [
            String.raw`^Deployment flyteconsole \(flyte\/templates\/console\/deployment.yaml\): `,
            String.raw`container flyteconsole runs cr.flyte.org\/flyteorg\/flyteconsole:v0.20.1`,
          ].join(''),
        ),
      ),
    ]);
    expect(byRule('chart/namespace').length).toBeGreaterThan(10);
    expect(byRule('chart/namespace')).toContainEqual(
      expect.stringContaining(
        'Deployment flyteadmin (flyte/templates/admin/deployment.yaml): lands in namespace flyte',
      ),
    );
  });

  it(
    'refuses a cluster-scoped object nobody documented, ' + 'and reports exceptions the render no longer needs',
    async () => {
      const { diagnostics } = await check(
        withValues((v) => {
          v['kubernetes-dashboard'].rbac.clusterRoleMetrics = true;
          v.webhook.enabled = false;
        }),
      );
      const messages = diagnostics.map((d) => `${d.rule}: ${d.message}`);
      expect(messages).toContainEqual(
        expect.stringMatching(
          new RegExp(
            [
              String.raw`^chart\/cluster-scoped: ClusterRole flyte-kubernetes-dashboard-metrics `,
              String.raw`\(flyte\/charts\/kubernetes-dashboard\/templates\/clusterrole-metrics.yaml\)`,
            ].join(''),
          ),
        ),
      );
      expect(messages).toContain(
        'chart/stale-exception: the cluster-scoped exception ' +
          'ClusterRole flyte-pod-webhook is no longer rendered by the chart',
      );
    },
  );

  it(
    'runs the images the chart hard-codes as pins, ' + 'through the kustomization, and refuses them without it',
    async () => {
      const containers = (objects: Awaited<ReturnType<typeof check>>['objects']) => {
        const admin = objects.find(
          (o) => o.object.kind === 'Deployment' && (o.object.metadata as any).name === 'flyteadmin',
        )!.object as any;
        return Object.fromEntries(
          [...admin.spec.template.spec.initContainers, ...admin.spec.template.spec.containers].map((c: any) => [
            c.name,
            c.image,
          ]),
        );
      };
      const { objects } = await check(rendered);
      expect(containers(objects)).toMatchObject({
        redoc: 'docker.io/redocly/redoc:v2.0.0-rc.59',
        'check-db-ready': 'docker.io/library/postgres:10.16',
      });

      const { diagnostics } = await check(withKustomization((k) => delete k.images));
      expect(diagnostics.map((d) => `${d.rule}: ${d.message}`).sort()).toEqual([
        expect.stringMatching(
          new RegExp(
            [
              String.raw`^chart\/image: Deployment flyteadmin \(flyte\/templates\/admin\/deployment.yaml\): `,
              String.raw`container check-db-ready runs postgres:10.16-alpine, not a pin`,
            ].join(''),
          ),
        ),
        expect.stringMatching(
          new RegExp(
            [
              String.raw`^chart\/image: Deployment flyteadmin \(flyte\/templates\/admin\/deployment.yaml\): `,
              String.raw`container redoc runs docker.io\/redocly\/redoc, not a pin`,
            ].join(''),
          ),
        ),
      ]);
    },
  );

  it('reports an image override that matches nothing the chart renders any more', async () => {
    // Without the chart's postgres, flyteadmin has no check-db-ready container to swap the image of.
    const { diagnostics } = await check(withValues((v) => (v.postgres.enabled = false)));
    expect(diagnostics.map((d) => `${d.rule}: ${d.message}`)).toContain(
      'chart/stale-exception: the image override for postgres (flyte/templates/admin/deployment.yaml, ' +
        'container check-db-ready) no longer matches anything the chart renders',
    );
  });

  it('fails the build when the webhook no longer carries an annotation the kustomization takes off', async () => {
    const { diagnostics } = await check(
      withValues((v) => delete v.flyteadmin.podAnnotations['vault.hashicorp.com/role']),
    );
    expect(diagnostics).toEqual([
      expect.objectContaining({
        file: valuesPath(),
        rule: 'chart/render',
        message: expect.stringMatching(/kustomize cannot build.*vault.hashicorp.com~1role/s),
      }),
    ]);
  });

  it('reports values the chart cannot render with helm`s own message', async () => {
    const { diagnostics } = await check(withValues((v) => (v.flyteadmin.initialProjects = 5)));
    expect(diagnostics).toEqual([
      expect.objectContaining({
        file: valuesPath(),
        rule: 'chart/render',
        message: expect.stringContaining("range can't iterate over 5"),
      }),
    ]);
  });

  it('says to run setup when helm or the chart is not installed', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'chart-stage-'));
    try {
      const failure = checkChart(empty, cluster(), platform.pins, rendered);
      await expect(failure).rejects.toThrow(HelmUnavailableError);
      await expect(failure).rejects.toThrow(/run `npm run setup`/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('the chart stage inside validate', () => {
  it('exits 3 with the setup hint when the chart is not installed', async () => {
    const ws = await createTempWorkspace();
    try {
      const tools = join(ws.root, '.tools');
      const real = await realpath(tools);
      await rm(tools);
      await mkdir(tools);
      for (const name of await readdir(real)) if (name !== 'charts') await symlink(join(real, name), join(tools, name));
      const result = await ws.cli('validate');
      expect(result.exitCode).toBe(3);
      expect(result.stderr).toMatch(/no chart at .*\.tools\/charts\/flyte-v0\.15\.0: run `npm run setup`/);
    } finally {
      await ws.remove();
    }
  });
});
