import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadPlatform, type Cluster, type LoadedCluster, type Platform } from '@flyte-gkp/platform';
import { diskSource } from '@flyte-gkp/project-spec';
import { exampleProject as project } from '@flyte-gkp/testing';
import { renderCluster, type ProjectInput, type RenderedFile } from './render.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
let platform: Platform;
let gkpDev: LoadedCluster;

beforeAll(async () => {
  const loaded = await loadPlatform(diskSource(repoRoot));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  platform = loaded.platform;
  gkpDev = platform.clusters.find((c) => c.cluster.name === 'gkp-dev')!;
});

type Kube = {
  kind: string;
  apiVersion: string;
  metadata: { name: string; namespace?: string };
  // `any`: read field by field, each asserted by the test.
  spec?: any;
};
const objects = (files: RenderedFile[], path: string): Kube[] =>
  parseAllDocuments(files.find((f) => f.path === path)!.content).map((d) => d.toJS() as Kube);
const render = (cluster: Cluster, ...projects: ProjectInput[]) =>
  renderCluster({ ...gkpDev, cluster }, platform.pins, projects);
const manual = (cluster: Cluster): Cluster => ({ ...cluster, projectCredentials: { source: 'manual' } });

describe('keys from Vault by the External Secrets Operator', () => {
  it('gives every domain namespace its own ServiceAccount, SecretStore and ExternalSecret making the Secret', () => {
    const files = render(gkpDev.cluster, project('churn'));
    for (const domain of ['d-dev', 't-dev', 'p-dev']) {
      const namespace = `103020-flytepoc-churn-${domain}`;
      const inNamespace = objects(files, `clusters/gkp-dev/projects/churn/manifests/${domain}.yaml`);
      const store = inNamespace.find((o) => o.kind === 'SecretStore')!;
      const secret = inNamespace.find((o) => o.kind === 'ExternalSecret')!;
      const account = inNamespace.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'mercury-vault-auth');

      expect(account?.metadata.namespace).toBe(namespace);
      expect(store.apiVersion).toBe('external-secrets.io/v1');
      expect(store.metadata).toMatchObject({ name: namespace, namespace });
      expect(store.spec.provider.vault).toEqual({
        server: 'https://vault.gkp.example',
        path: 'secret',
        version: 'v2',
        auth: {
          kubernetes: {
            mountPath: 'kubernetes-gkp-dev',
            role: namespace,
            serviceAccountRef: { name: 'mercury-vault-auth', audiences: ['vault'] },
          },
        },
      });
      expect(secret.metadata.namespace).toBe(namespace);
      expect(secret.spec.refreshInterval).toBe('1h');
      expect(secret.spec.secretStoreRef).toEqual({ kind: 'SecretStore', name: store.metadata.name });
      expect(secret.spec.target.name).toBe('mercury-churn');
      expect(secret.spec.data).toEqual([
        {
          secretKey: 'FLYTE_AWS_ACCESS_KEY_ID',
          remoteRef: { key: '103020/flytepoc-churn/mercury', property: 'access_key' },
        },
        {
          secretKey: 'FLYTE_AWS_SECRET_ACCESS_KEY',
          remoteRef: { key: '103020/flytepoc-churn/mercury', property: 'secret_key' },
        },
      ]);
    }
  });

  it("renders Vault's read policy of the project's path and a role per namespace bound to its ServiceAccount", () => {
    const files = render(gkpDev.cluster, project('churn'), project('pricing'));
    const vault = files.filter((f) => f.path.includes('/projects/churn/vault/'));
    expect(vault.map((f) => f.path)).toEqual([
      'clusters/gkp-dev/projects/churn/vault/policies/103020-flytepoc-churn-mercury.json',
      'clusters/gkp-dev/projects/churn/vault/roles/103020-flytepoc-churn-d-dev.json',
      'clusters/gkp-dev/projects/churn/vault/roles/103020-flytepoc-churn-p-dev.json',
      'clusters/gkp-dev/projects/churn/vault/roles/103020-flytepoc-churn-t-dev.json',
    ]);
    const [policy, ...roles] = vault.map((f) => JSON.parse(f.content) as Record<string, unknown>);
    expect(policy).toEqual({ path: { 'secret/data/103020/flytepoc-churn/mercury': { capabilities: ['read'] } } });
    for (const [i, domain] of ['d-dev', 'p-dev', 't-dev'].entries()) {
      expect(roles[i]).toMatchObject({
        bound_service_account_names: ['mercury-vault-auth'],
        bound_service_account_namespaces: [`103020-flytepoc-churn-${domain}`],
        audience: 'vault',
        token_policies: ['103020-flytepoc-churn-mercury'],
      });
    }
  });

  it("lets the project's AppProject deploy exactly the kinds its namespaces hold, no ClusterSecretStore", () => {
    for (const cluster of [gkpDev.cluster, manual(gkpDev.cluster)]) {
      const files = render(cluster, project('churn'));
      const [appProject] = objects(files, 'clusters/gkp-dev/projects/churn/application.yaml');
      const allowed = (appProject.spec.namespaceResourceWhitelist as { group: string; kind: string }[])
        .map((k) => `${k.group}/${k.kind}`)
        .sort();
      const held = files
        .filter((f) => f.path.includes('/projects/churn/manifests/'))
        .flatMap((f) => objects(files, f.path))
        .filter((o) => o.kind !== 'Namespace')
        .map((o) => `${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.kind}`);
      expect(allowed).toEqual([...new Set(held)].sort());
      expect(appProject.spec.clusterResourceWhitelist).toEqual([{ group: '', kind: 'Namespace' }]);
    }
  });

  it('renders none of it on a cluster whose keys come by hand (source: manual)', () => {
    const files = render(manual(gkpDev.cluster), project('churn'));
    expect(files.filter((f) => f.path.includes('/vault/'))).toEqual([]);
    const kinds = files
      .filter((f) => f.path.includes('/manifests/') && f.project)
      .flatMap((f) => objects(files, f.path).map((o) => o.kind));
    expect(kinds).not.toContain('SecretStore');
    expect(kinds).not.toContain('ExternalSecret');
  });
});
