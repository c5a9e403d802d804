import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadPlatform, type Platform } from '@flyte-gkp/platform';
import { diskSource, loadProjectText } from '@flyte-gkp/project-spec';
import { renderCluster, type ProjectInput, type RenderedFile } from './render.js';
import { SerializationMemo } from './serialize.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
let platform: Platform;

beforeAll(async () => {
  const loaded = await loadPlatform(diskSource(repoRoot));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  platform = loaded.platform;
});

function project(id: string, extra = ''): ProjectInput {
  const text = `apiVersion: flytepoc.gkp.io/v1alpha1
kind: FlyteProject
id: ${id}
displayName: Project ${id}
owners:
  - group: team-${id}
    role: admin
  - group: readers-${id}
    role: view
storage:
  bucket: bucket-${id}
  credentialsSecret: mercury-${id}
${extra}`;
  const loaded = loadProjectText(`projects/${id}.yaml`, text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return { ...loaded.value, file: `projects/${id}.yaml` };
}

const render = (...projects: ProjectInput[]) => renderCluster(platform.clusters[0], platform.pins, projects);
const objectsOf = (files: RenderedFile[], path: string) =>
  files
    .find((f) => f.path === path)!
    .content.split(/^---$/m)
    .map((d) => parse(d, { version: '1.1' }));
const all = (files: RenderedFile[]) => files.flatMap((f) => (f.type === 'manifest' ? objectsOf(files, f.path) : []));

describe('tenant namespaces', () => {
  it(
    'names each domain namespace <appid>-<poc>-<project>-<domain> ' + 'and labels it with app id, project and domain',
    () => {
      const namespaces = all(render(project('x'))).filter(
        (o) => o.kind === 'Namespace' && o.metadata.labels['flytepoc.gkp.io/project'],
      );
      expect(namespaces.map((n) => n.metadata.name).sort()).toEqual([
        '103020-flytepoc-x-d-dev',
        '103020-flytepoc-x-p-dev',
        '103020-flytepoc-x-t-dev',
      ]);
      for (const ns of namespaces) {
        expect(ns.metadata.labels['gkp.io/app-id']).toBe('103020');
        expect(ns.metadata.labels['flytepoc.gkp.io/project']).toBe('x');
        expect(ns.metadata.name.endsWith(ns.metadata.labels['flytepoc.gkp.io/domain'])).toBe(true);
      }
    },
  );

  it('renders only the domains a spec lists, and the AppProject allows only those namespaces', () => {
    const files = render(project('x', 'domains:\n  d-dev: {}\n'));
    expect(files.filter((f) => f.path.includes('/projects/x/manifests/')).map((f) => f.path)).toEqual([
      'clusters/gkp-dev/projects/x/manifests/d-dev.yaml',
    ]);
    const [appProject] = objectsOf(files, 'clusters/gkp-dev/projects/x/application.yaml');
    expect(appProject.spec.destinations.map((d: { namespace: string }) => d.namespace)).toEqual([
      '103020-flytepoc-x-d-dev',
    ]);
    expect(appProject.spec.clusterResourceWhitelist).toEqual([{ group: '', kind: 'Namespace' }]);
  });

  it('keeps a label value such as the project id `y` a string for YAML 1.1 readers (Kubernetes)', () => {
    const ns = all(render(project('y'))).find((o) => o.kind === 'Namespace' && o.metadata.name.includes('-y-'));
    expect(ns.metadata.labels['flytepoc.gkp.io/project']).toBe('y');
  });
});

describe('the app of apps', () => {
  it(
    'runs the root Application in an AppProject of its own, ' +
      "rendered before it, that allows only Argo CD's kinds in Argo CD's namespace",
    () => {
      const [appProject, root, ...rest] = objectsOf(render(project('x')), 'clusters/gkp-dev/root-app.yaml');
      expect(rest.filter(Boolean)).toEqual([]);
      expect(appProject).toMatchObject({
        kind: 'AppProject',
        metadata: { name: 'flytepoc-root', namespace: 'argocd' },
      });
      expect(appProject.spec.sourceRepos).toEqual(['https://git.gkp.example/103020/flyte-gkp.git']);
      expect(appProject.spec.destinations).toEqual([{ server: 'https://kubernetes.default.svc', namespace: 'argocd' }]);
      expect(appProject.spec.clusterResourceWhitelist).toEqual([]);
      expect(appProject.spec.namespaceResourceWhitelist).toEqual([
        { group: 'argoproj.io', kind: 'Application' },
        { group: 'argoproj.io', kind: 'AppProject' },
      ]);
      expect(root).toMatchObject({
        kind: 'Application',
        spec: { project: 'flytepoc-root', destination: { namespace: 'argocd' } },
      });
    },
  );
});

describe('quotas', () => {
  it('takes the spec quota per domain and the cluster default for what the spec leaves out', () => {
    const files = render(
      project(
        'q',
        'domains:\n  d-dev:\n    quota: { cpu: 6, memory: 12Gi, persistentVolumeClaims: 2, storage: 20Gi }\n' +
          '  p-dev: {}\n',
      ),
    );
    const quota = (domain: string) =>
      objectsOf(files, `clusters/gkp-dev/projects/q/manifests/${domain}.yaml`).find((o) => o.kind === 'ResourceQuota')
        .spec.hard;
    const defaults = platform.clusters[0].cluster.quota.default;
    expect(quota('d-dev')).toEqual({
      'requests.cpu': '6',
      'requests.memory': '12Gi',
      'requests.ephemeral-storage': defaults.ephemeralStorage,
      pods: String(defaults.pods),
      persistentvolumeclaims: '2',
      'requests.storage': '20Gi',
      configmaps: String(defaults.configMaps),
      secrets: String(defaults.secrets),
      services: String(defaults.services),
      'services.loadbalancers': '0',
      'services.nodeports': '0',
    });
    expect(quota('p-dev')['requests.cpu']).toBe(defaults.cpu);
    expect(quota('p-dev')['requests.memory']).toBe(defaults.memory);
  });

  it(
    'gives containers default requests (ephemeral storage too: propeller strips it from task pods) ' +
      'and the per-container maximum as default limit',
    () => {
      const limitRange = all(render(project('x'))).find((o) => o.kind === 'LimitRange');
      const { containerDefaults, containerMax } = platform.clusters[0].cluster.quota;
      const asKubernetes = (r: typeof containerMax) => ({
        cpu: r.cpu,
        memory: r.memory,
        'ephemeral-storage': r.ephemeralStorage,
      });
      expect(limitRange.spec.limits).toEqual([
        {
          type: 'Container',
          defaultRequest: asKubernetes(containerDefaults),
          default: asKubernetes(containerMax),
          max: asKubernetes(containerMax),
        },
      ]);
    },
  );
});

describe('access', () => {
  it(
    'binds each owner group to a Role of its own namespace, ' + 'in the project namespaces only (never a ClusterRole)',
    () => {
      const objects = all(render(project('x')));
      expect(objects.some((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'ClusterRole')).toBe(false);
      const admins = objects.filter((o) => o.kind === 'RoleBinding' && o.metadata.name === 'owners-admin');
      expect(admins).toHaveLength(3);
      expect(admins[0].roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'owners-admin' });
      for (const binding of admins)
        expect(
          objects.filter(
            (o) =>
              o.kind === 'Role' &&
              o.metadata.name === 'owners-admin' &&
              o.metadata.namespace === binding.metadata.namespace,
          ),
        ).toHaveLength(1);
      expect(admins[0].subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'team-x' }]);
    },
  );

  it('keeps other namespaces out and lets pods out only to DNS and Mercury, as the cluster file declares them', () => {
    const policy = all(render(project('x'))).find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === '103020-flytepoc-x-d-dev',
    );
    const { dns, mercury } = platform.clusters[0].cluster.network;
    expect(policy.spec.podSelector).toEqual({});
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([{ from: [{ podSelector: {} }] }]);
    expect(policy.spec.egress).toEqual([
      { to: [{ podSelector: {} }] },
      {
        to: [{ namespaceSelector: { matchLabels: dns.namespaceLabels }, podSelector: { matchLabels: dns.podLabels } }],
        ports: dns.ports,
      },
      { to: mercury.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: mercury.ports },
    ]);
  });

  it('gives every AppProject the resources finalizer, so it outlives the Applications that use it', () => {
    const projects = all(render(project('x'))).filter((o) => o.kind === 'AppProject');
    expect(projects.map((p) => p.metadata.name).sort()).toEqual(['flytepoc-platform', 'flytepoc-root', 'flytepoc-x']);
    for (const p of projects) expect(p.metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
  });
});

describe('raw-container tasks', () => {
  it(
    'find flyte-data-config, the co-pilot`s storage config, ' + 'in every execution namespace, with Mercury and no key',
    () => {
      const files = render(project('x'));
      const configs = all(files).filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'flyte-data-config');
      const cluster = platform.clusters[0].cluster;
      expect(configs.map((c) => c.metadata.namespace).sort()).toEqual(
        cluster.domains.map((d) => `${cluster.namespacePrefix}x-${d}`).sort(),
      );
      const storage = parse(configs[0].data['config.yaml']).storage;
      expect(storage).toMatchObject({
        type: 's3',
        container: cluster.storage.metadataBucket,
        'enable-multicontainer': true,
      });
      expect(storage.connection).toEqual({
        endpoint: cluster.storage.endpoint,
        'auth-type': 'iam',
        region: cluster.storage.region,
        'disable-ssl': false,
      });
    },
  );
});

describe('safe deletes', () => {
  it('protects every namespace from prune and delete unless its domain is being decommissioned', () => {
    const files = render(project('x', 'domains:\n  d-dev: {}\n  t-dev: { decommission: true }\n'));
    const options = (domain: string) =>
      objectsOf(files, `clusters/gkp-dev/projects/x/manifests/${domain}.yaml`)[0].metadata.annotations[
        'argocd.argoproj.io/sync-options'
      ];
    expect(options('d-dev')).toBe('Prune=false,Delete=false');
    expect(options('t-dev')).toBeUndefined();
  });
});

describe('client files', () => {
  it(
    'point flytekit at the project`s own bucket, ' +
      'service account and the Flyte admin, with the release`s client pins',
    () => {
      const files = render(project('x'));
      const config = files.find((f) => f.path === 'clusters/gkp-dev/projects/x/client/flytekit.config')!.content;
      expect(config).toContain('raw_output_data_prefix = s3://bucket-x/');
      expect(config).toContain('kubernetes_service_account = flyte-workflow');
      expect(config).toContain(`url = ${platform.clusters[0].cluster.flyte.adminEndpoint}`);
      const constraints = files.find((f) => f.path === 'clusters/gkp-dev/projects/x/client/constraints.txt')!.content;
      for (const [name, version] of Object.entries(platform.pins.python))
        expect(constraints).toContain(`${name}==${version}`);
    },
  );

  it('give tasks a Python module requesting the project`s own Secret by name', () => {
    const module = render(project('x')).find(
      (f) => f.path === 'clusters/gkp-dev/projects/x/client/mercury.py',
    )!.content;
    expect(module).toContain('GROUP = "mercury-x"');
    execFileSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: module });
  });
});

describe('output as a whole', () => {
  it('is byte-identical with a memo of an earlier render, which knows every file of an unchanged project', () => {
    const specs = () => [project('x'), project('y', 'domains:\n  d-dev:\n    quota: {cpu: 2, pods: 7}\n')];
    const first = new SerializationMemo();
    const rendered = renderCluster(platform.clusters[0], platform.pins, specs(), { memo: first });
    const next = new SerializationMemo(first.entries(1000));

    const again = renderCluster(platform.clusters[0], platform.pins, specs(), { memo: next });

    expect(again.map((f) => f.content)).toEqual(render(...specs()).map((f) => f.content));
    expect(again.map((f) => f.content)).toEqual(rendered.map((f) => f.content));
    expect(next.written, 'objects built anew, from the same specs, are known').toBe(0);
  });

  it('gives each project the same files whatever other projects there are (its memo key names no other spec)', () => {
    const alone = render(project('x')).filter((f) => f.project === 'x');
    const withOthers = render(project('w'), project('x'), project('y', 'description: Y')).filter(
      (f) => f.project === 'x',
    );
    expect(withOthers.map((f) => [f.path, f.content])).toEqual(alone.map((f) => [f.path, f.content]));
  });

  it('finds the texts of a project by its key, and writes them again when the key changes', () => {
    const specs = () => [project('x'), project('y')];
    const texts = (memo: SerializationMemo, salt: string) => ({
      memo,
      key: (_: unknown, p: ProjectInput) => `${salt} ${p.file}`,
    });
    const first = new SerializationMemo();
    const rendered = renderCluster(platform.clusters[0], platform.pins, specs(), { projectTexts: texts(first, 'a') });
    const projectManifests = rendered.filter((f) => f.project && f.type === 'manifest').length;
    expect(first.written, 'the project manifests, the others are not its texts').toBe(projectManifests);

    const known = new SerializationMemo(first.entries(1000));
    const again = renderCluster(platform.clusters[0], platform.pins, specs(), { projectTexts: texts(known, 'a') });
    expect(again.map((f) => f.content)).toEqual(rendered.map((f) => f.content));
    expect(again.map((f) => f.content)).toEqual(render(...specs()).map((f) => f.content));
    expect(known.written, 'every text found by its key').toBe(0);

    const other = new SerializationMemo(first.entries(1000));
    renderCluster(platform.clusters[0], platform.pins, specs(), { projectTexts: texts(other, 'b') });
    expect(other.written, 'another key: each project manifest written again').toBe(projectManifests);
  });

  it('is byte-identical for the same inputs in any order', () => {
    const a = render(project('x'), project('y'));
    const b = render(project('y'), project('x'));
    expect(b.map((f) => [f.path, f.content])).toEqual(a.map((f) => [f.path, f.content]));
  });

  it('puts every file of a project under its own folder, so removing the spec removes exactly those files', () => {
    const withZ = render(project('x'), project('z'));
    const withoutZ = render(project('x'));
    const gone = withZ.map((f) => f.path).filter((p) => !withoutZ.some((f) => f.path === p));
    expect(gone.length).toBeGreaterThan(0);
    expect(gone.every((p) => p.startsWith('clusters/gkp-dev/projects/z/'))).toBe(true);
  });

  it('starts every file with a generated-file header naming its source, but the JSON Vault reads as it is', () => {
    for (const file of render(project('x'))) {
      // JSON has no comment: a header would make the body Vault reads invalid.
      if (file.type === 'vault') {
        expect(file.sources).toContain('projects/x.yaml');
        continue;
      }
      expect(file.content.startsWith('# GENERATED by `npm run render` from ')).toBe(true);
      if (file.type === 'manifest' && file.project) expect(file.content.split('\n')[0]).toContain('projects/x.yaml');
    }
  });
});
