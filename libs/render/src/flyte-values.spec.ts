// Reads the flyte chart v0.15.0 as Argo CD BUILDS it from the COMMITTED platform folder (the real
// kustomize and helm), not the values themselves: what the components get is what the chart makes of them.
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ChartObject } from '@flyte-gkp/helm';
import { imageReference, loadPlatform, type Cluster, type Pins } from '@flyte-gkp/platform';
import { diskSource } from '@flyte-gkp/project-spec';
import { renderCommittedChart, repoRoot } from '@flyte-gkp/testing';

let chart: ChartObject[];
let cluster: Cluster;
let pins: Pins;

beforeAll(async () => {
  const loaded = await loadPlatform(diskSource(repoRoot));
  if (!loaded.ok) throw new Error('platform does not load');
  cluster = loaded.platform.clusters[0].cluster;
  pins = loaded.platform.pins;
  chart = await renderCommittedChart(repoRoot, cluster.name);
});

const named = (kind: string, name: string) => {
  const found = chart.filter((o) => o.object.kind === kind && (o.object.metadata as any).name === name);
  expect(found, `one ${kind} ${name} in the rendered chart`).toHaveLength(1);
  return found[0].object as any;
};
/** One file of a component's config, as the component parses it. */
const configFile = (configMap: string, file: string) => parse(named('ConfigMap', configMap).data[file]);
const podTemplates = () => chart.filter((o) => o.object.kind === 'Deployment').map((o) => o.object as any);

/**
 * flytepropeller v0.12.9 pins flyteplugins v0.5.56, whose tasklog plugin replaces each placeholder
 * matching (?i){{\s*[.$]<name>\s*}} (go/tasks/pluginmachinery/tasklog/template.go) by the pod's value.
 */
function propellerLogLink(template: string, pod: Record<string, string>): string {
  return Object.entries(pod).reduce(
    (uri, [name, value]) => uri.replace(new RegExp(`\\{\\{\\s*[.$]${name}\\s*\\}\\}`, 'gi'), value),
    template,
  );
}

/** The Ingress rule and path that serve `host` and `path` (exact or `prefix/*`), with its backend. */
function route(host: string, path: string) {
  const matches = chart
    .filter((o) => o.object.kind === 'Ingress')
    .flatMap((o) =>
      (o.object as any).spec.rules
        .filter((r: any) => r.host === host)
        .flatMap((r: any) => r.http.paths.map((p: any) => ({ ingress: o.object as any, ...p }))),
    )
    .filter(
      (p: any) => p.path === path || (p.path.endsWith('/*') && path.startsWith(p.path.slice(0, -1))) || p.path === '/',
    );
  expect(matches.length, `an Ingress routes ${host}${path}`).toBeGreaterThan(0);
  return matches[0];
}

/** The Service port a backend names exists, and the Service selects the pods of a rendered Deployment. */
function servedBy(backend: { serviceName: string; servicePort: number }) {
  const service = named('Service', backend.serviceName);
  const port = service.spec.ports.find((p: any) => p.port === backend.servicePort);
  expect(port, `Service ${backend.serviceName} has port ${backend.servicePort}`).toBeDefined();
  const selected = podTemplates().filter((d) =>
    Object.entries(service.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
  );
  expect(selected.length, `Service ${backend.serviceName} selects a rendered Deployment`).toBe(1);
  return { deployment: selected[0], port };
}

describe('the flyte chart v0.15.0 as Argo CD builds it from the committed platform folder', () => {
  it('runs the pinned Flyte images', () => {
    const image = (deployment: string, container: string) =>
      named('Deployment', deployment).spec.template.spec.containers.find((c: any) => c.name === container).image;
    expect(image('flyteadmin', 'flyteadmin')).toBe(imageReference(pins.images.flyteadmin));
    expect(image('datacatalog', 'datacatalog')).toBe(imageReference(pins.images.datacatalog));
    expect(image('flytepropeller', 'flytepropeller')).toBe(imageReference(pins.images.flytepropeller));
    expect(image('flyte-pod-webhook', 'webhook')).toBe(imageReference(pins.images.flytepropeller));
    expect(image('flyteconsole', 'flyteconsole')).toBe(imageReference(pins.images.flyteconsole));
  });

  it('runs only images of platform/pins.yaml, the two the chart hard-codes included', () => {
    const pinned = new Set(Object.values(pins.images).map(imageReference));
    const containers = podTemplates().flatMap((d) =>
      [...(d.spec.template.spec.initContainers ?? []), ...d.spec.template.spec.containers].map((c: any) => [
        `${d.metadata.name}/${c.name}`,
        c.image,
      ]),
    );
    expect(containers.filter(([, image]) => !pinned.has(image))).toEqual([]);
    expect(Object.fromEntries(containers)).toMatchObject({
      'flyteadmin/redoc': imageReference(pins.images.redoc),
      'flyteadmin/check-db-ready': imageReference(pins.images.postgres),
    });
  });

  it('gives flyteadmin the cluster domains, the GKP namespace template, and strict-valid server config', () => {
    expect(configFile('flyte-admin-config', 'domain.yaml').domains).toEqual(
      cluster.domains.map((d) => ({ id: d, name: d })),
    );
    const server = configFile('flyte-admin-config', 'server.yaml');
    expect(server.namespace_mapping.template).toBe(`${cluster.namespacePrefix}{{ project }}-{{ domain }}`);
    expect(server.flyteadmin).not.toHaveProperty('testing'); // a chart leftover flyteadmin rejects under --strict
    // The rest of the chart's section stays.
    expect(server.flyteadmin.metadataStoragePrefix).toEqual(['metadata', 'admin']);
  });

  it('gives propeller only config sections it knows: the chart`s hard-coded cache.yaml is taken off', () => {
    const files = Object.keys(named('ConfigMap', 'flyte-propeller-config').data);
    expect(files).not.toContain('cache.yaml');
    expect(files).toEqual(
      expect.arrayContaining(['admin.yaml', 'core.yaml', 'k8s.yaml', 'storage.yaml', 'task_logs.yaml']),
    );
  });

  it(
    'lists no project: flyteadmin runs no seed-projects init container, ' + 'so an onboarding never changes its pods',
    () => {
      const admin = named('Deployment', 'flyteadmin');
      const names = (admin.spec.template.spec.initContainers as { name: string }[]).map((c) => c.name);
      expect(names).not.toContain('seed-projects');
      expect(names).toContain('run-migrations');
    },
  );

  it('keeps propeller`s leader-election lock in the system namespace', () => {
    expect(
      configFile('flyte-propeller-config', 'core.yaml').propeller['leader-election']['lock-config-map'].namespace,
    ).toBe(cluster.systemNamespace);
  });

  it(
    'gives propeller a task-log link that its substitution turns into ' +
      'the dashboard page of the pod, routed to the dashboard',
    () => {
      const logs = configFile('flyte-propeller-config', 'task_logs.yaml').plugins.logs;
      expect(logs['kubernetes-enabled']).toBe(true);
      const pod = {
        podName: 'a1b2c3-n0-0',
        namespace: `${cluster.namespacePrefix}x-d-dev`,
        containerName: 'a1b2c3-n0-0',
        containerID: 'abc',
        logName: '',
        hostname: 'node-1',
      };
      const link = new URL(propellerLogLink(logs['kubernetes-template-uri'], pod));
      expect(link.href).toBe(
        `http://${cluster.flyte.dashboardHost}/#/log/${pod.namespace}/${pod.podName}/pod?namespace=${pod.namespace}`,
      );
      const { ingress, backend } = route(link.host, link.pathname);
      expect(ingress.metadata.annotations['kubernetes.io/ingress.class']).toBe(cluster.flyte.ingressClass);
      const { deployment } = servedBy(backend);
      expect(deployment.spec.template.spec.containers[0].image).toBe(
        imageReference(pins.images['kubernetes-dashboard']),
      );
    },
  );

  it(
    'exposes the admin endpoint of the generated flytekit.config: ' +
      'gRPC to flyteadmin through an Ingress of the cluster`s class',
    () => {
      const [host, port] = cluster.flyte.adminEndpoint.split(':');
      expect(port).toBe('443'); // the ingress controller's TLS port; the Ingress serves every port it listens on
      const { ingress, backend } = route(host, '/flyteidl.service.AdminService/ListProjects');
      expect(ingress.metadata.annotations).toMatchObject({
        'kubernetes.io/ingress.class': cluster.flyte.ingressClass,
        ...cluster.flyte.grpcIngressAnnotations,
      });
      const { deployment, port: servicePort } = servedBy(backend);
      expect(deployment.metadata.name).toBe('flyteadmin');
      expect(
        deployment.spec.template.spec.containers
          .find((c: any) => c.name === 'flyteadmin')
          .ports.map((p: any) => p.containerPort),
      ).toContain(servicePort.targetPort);
      // The console and the REST API stay on the plain Ingress of the same host.
      expect(servedBy(route(host, '/console').backend).deployment.metadata.name).toBe('flyteconsole');
    },
  );

  it('lets flyteadmin serve execution data from Mercury, not through AWS', () => {
    expect(configFile('flyte-admin-config', 'remoteData.yaml').remoteData.scheme).toBe('none');
    expect(configFile('flyte-admin-config', 'storage.yaml').storage.connection.endpoint).toBe(cluster.storage.endpoint);
  });

  it('puts Flyte`s Mercury keys only in the containers that read them', () => {
    const injected = podTemplates().filter(
      (d) => d.spec.template.metadata.annotations?.['vault.hashicorp.com/agent-inject'] === 'true',
    );
    const mountedIn = injected.flatMap((d) => {
      const wanted = d.spec.template.metadata.annotations['vault.hashicorp.com/agent-inject-containers'].split(',');
      return d.spec.template.spec.containers
        .filter((c: any) => wanted.includes(c.name))
        .map((c: any) => `${d.metadata.name}/${c.name}`);
    });
    expect(mountedIn.sort()).toEqual([
      'datacatalog/datacatalog',
      'flyteadmin/flyteadmin',
      'flytepropeller/flytepropeller',
    ]);
    // Exactly those pods run the agent:
    // the webhook, which the chart gives flyteadmin's annotations, has them taken off.
    expect(injected.map((d) => d.metadata.name).sort()).toEqual(['datacatalog', 'flyteadmin', 'flytepropeller']);
    const webhook = podTemplates().find((d) => d.metadata.name === 'flyte-pod-webhook')!;
    expect(
      Object.keys(webhook.spec.template.metadata.annotations ?? {}).filter((key) =>
        key.startsWith('vault.hashicorp.com/'),
      ),
    ).toEqual([]);
    for (const d of injected)
      expect(d.spec.template.metadata.annotations['vault.hashicorp.com/agent-image']).toBe(
        imageReference(pins.images['vault-agent']),
      );
  });

  it('keeps datacatalog inside the cluster', () => {
    expect(named('Service', 'datacatalog').spec.type).toBe('ClusterIP');
  });
});
