import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { imageReference, loadPlatform, type Cluster, type Pins } from '@flyte-gkp/platform';
import { diskSource } from '@flyte-gkp/spec';

/** Reads the COMMITTED values file, as Argo CD will hand it to Helm, and checks it against the platform inputs. */
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
let values: any; // eslint-disable-line @typescript-eslint/no-explicit-any
let cluster: Cluster;
let pins: Pins;

beforeAll(async () => {
  const loaded = await loadPlatform(diskSource(repoRoot));
  if (!loaded.ok) throw new Error('platform does not load');
  cluster = loaded.platform.clusters[0].cluster;
  pins = loaded.platform.pins;
  values = parse(readFileSync(`${repoRoot}/clusters/${cluster.name}/platform/flyte-values.yaml`, 'utf8'), { version: '1.1' });
});

const image = (v: { repository: string; tag: string }) => `${v.repository}:${v.tag}`;

describe('flyte chart v0.15.0 values', () => {
  it('pins every Flyte image to the pin file', () => {
    for (const component of ['flyteadmin', 'datacatalog', 'flytepropeller', 'flyteconsole'] as const) {
      expect(image(values[component].image)).toBe(imageReference(pins.images[component]));
    }
    expect(image(values.postgres.image)).toBe(imageReference(pins.images.postgres));
    expect(image(values['kubernetes-dashboard'].image)).toBe(imageReference(pins.images['kubernetes-dashboard']));
  });

  it('runs a local postgres that flyteadmin and datacatalog both reach', () => {
    expect(values.postgres.enabled).toBe(true);
    expect(values.db.database).toMatchObject({ host: 'postgres', port: 5432 });
  });

  it('has no authentication (a POC limitation) in admin and console', () => {
    expect(values.configmap.adminServer.server.security.useAuth).toBe(false);
    expect(values.configmap.console.DISABLE_AUTH).toBe('1');
  });

  it('configures the cluster domains, the GKP namespace template, every project to seed, and no namespace sync by flyteadmin', () => {
    expect(values.configmap.domain.domains).toEqual(cluster.domains.map((d) => ({ id: d, name: d })));
    expect(values.configmap.adminServer.namespace_mapping.template).toBe(`${cluster.namespacePrefix}{{ project }}-{{ domain }}`);
    expect(values.flyteadmin.initialProjects).toEqual(['x', 'y']);
    expect(values.cluster_resource_manager.enabled).toBe(false);
  });

  it('keeps propeller`s leader-election lock in the system namespace, not the chart`s hard-coded `flyte`', () => {
    expect(values.configmap.core.propeller['leader-election']['lock-config-map'].namespace).toBe(cluster.systemNamespace);
  });

  it('really disables spark (the subchart condition is spark.enabled) and the other sandbox parts', () => {
    expect(values.spark.enabled).toBe(false);
    for (const part of ['sparkoperator', 'pytorchoperator', 'minio', 'redis', 'contour']) expect(values[part].enabled).toBe(false);
  });

  it('stores on Mercury through its S3 endpoint, keys not in the values', () => {
    expect(values.storage.type).toBe('custom');
    expect(values.storage.custom.connection.endpoint).toBe(cluster.storage.endpoint);
    expect(JSON.stringify(values)).not.toMatch(/access-key"\s*:\s*"[^{]/);
    expect(values.storage.custom['enable-multicontainer']).toBe(true);
  });

  it('bootstraps Flyte`s own Mercury keys in the propeller pod from Vault, with a pinned agent image', () => {
    const annotations = values.flytepropeller.podAnnotations;
    expect(annotations['vault.hashicorp.com/agent-inject']).toBe('true');
    expect(annotations['vault.hashicorp.com/agent-image']).toBe(imageReference(pins.images['vault-agent']));
    expect(annotations['vault.hashicorp.com/agent-inject-secret-mercury.yaml']).toBe(cluster.storage.flyteCredentials.vaultPath);
    // The agent writes next to the chart's config, and propeller reads both folders.
    expect(values.flytepropeller.configPath).toBe('/etc/flyte/*/*.yaml');
    expect(annotations['vault.hashicorp.com/secret-volume-path']).toBe('/etc/flyte/mercury');
  });

  it('turns kubernetes-dashboard on and links task logs to it, escaped for Helm`s tpl', () => {
    expect(values['kubernetes-dashboard'].enabled).toBe(true);
    const logs = values.configmap.task_logs.plugins.logs;
    expect(logs['kubernetes-enabled']).toBe(true);
    const uri: string = logs['kubernetes-template-uri'];
    expect(uri.startsWith(`http://${cluster.flyte.dashboardHost}/#/log/`)).toBe(true);
    // Helm evaluates this section: after its tpl pass, Flyte must still see {{ .namespace }} and {{ .podName }}.
    expect(uri.replace(/\{\{ "\{\{" \}\}/g, '{{')).toContain('{{ .namespace }}/{{ .podName }}');
    expect(uri).not.toMatch(/(?<!\{\{ ")\{\{ \./);
  });
});
