// A project's Mercury keys, from Vault into the Secret storage.credentialsSecret of each of its namespaces,
// by the External Secrets Operator: per namespace a ServiceAccount, a namespaced SecretStore that logs in to
// Vault as that ServiceAccount, and an ExternalSecret. Vault confines each namespace: its role is bound to
// that ServiceAccount in that namespace and reads only the project's path (vaultFiles).
import type { ServiceAccount } from 'kubernetes-types/core/v1';
import type { VaultSettings } from '@flyte-gkp/platform';
import type { ProjectSpec } from '@flyte-gkp/project-spec';
import type { ProjectDomain } from './names.js';

/**
 * external-secrets.io/v1: the version ESO v0.16.2 stores; v1beta1 is only still served, and v0.17 stops
 * serving it. Both are the same schema without a conversion webhook, so Kubernetes 1.21 serves either.
 */
export const externalSecretsApiVersion = 'external-secrets.io/v1';

/** Every namespace's ServiceAccount that logs in to Vault: the role binds it together with the namespace. */
export const vaultServiceAccount = 'mercury-vault-auth';

/** The Secret's keys (what the tenant guide tells workflows to read), from these fields of the Vault entry. */
export const credentialFields = {
  FLYTE_AWS_ACCESS_KEY_ID: 'access_key',
  FLYTE_AWS_SECRET_ACCESS_KEY: 'secret_key',
} as const;

/** What Vault knows one namespace of a project by. Everything comes from the cluster file and the project id. */
export interface VaultNames {
  /** The KV v2 API path of the project's keys, e.g. secret/data/103020/flytepoc-x/mercury. */
  path: string;
  /** The KV v2 mount (secret) and the key under it (103020/flytepoc-x/mercury), as ESO names them. */
  mount: string;
  key: string;
  policy: string;
  /** Per namespace: the Kubernetes-auth role, also the name of the namespace's SecretStore. */
  role: string;
  store: string;
}

const fill = (template: string, values: Record<string, string>) =>
  template.replace(/\{(project|domain)\}/g, (_, name: string) => values[name]);

/** The path, policy, role and store of one namespace (domain) of a project. */
export function vaultNames(vault: VaultSettings, projectId: string, domain: string): VaultNames {
  const path = fill(vault.path, { project: projectId, domain });
  const separator = path.indexOf('/data/');
  const role = fill(vault.role, { project: projectId, domain });
  return {
    path,
    mount: path.slice(0, separator),
    key: path.slice(separator + '/data/'.length),
    policy: fill(vault.policy, { project: projectId, domain }),
    role,
    store: role,
  };
}

type Meta = (name: string, wave: number) => object;

/** The ServiceAccount, SecretStore and ExternalSecret of one namespace, in apply order. */
export function credentialObjects(
  settings: { refreshInterval: string; vault: VaultSettings },
  spec: ProjectSpec,
  d: ProjectDomain,
  meta: Meta,
): object[] {
  const { vault, refreshInterval } = settings;
  const names = vaultNames(vault, spec.id, d.domain);
  const serviceAccount: ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(vaultServiceAccount, -1),
    // The operator asks the TokenRequest API for its token; no pod runs as it.
    automountServiceAccountToken: false,
  };
  const secretStore = {
    apiVersion: externalSecretsApiVersion,
    kind: 'SecretStore',
    metadata: meta(names.store, 0),
    spec: {
      provider: {
        vault: {
          server: vault.server,
          path: names.mount,
          version: 'v2',
          auth: {
            kubernetes: {
              mountPath: vault.kubernetesAuthPath,
              role: names.role,
              // Named explicitly: without it the operator would log in with its controller's own token.
              serviceAccountRef: { name: vaultServiceAccount, audiences: [vault.audience] },
            },
          },
        },
      },
    },
  };
  const secretName = spec.storage.credentialsSecret;
  const externalSecret = {
    apiVersion: externalSecretsApiVersion,
    kind: 'ExternalSecret',
    metadata: meta(secretName, 1),
    spec: {
      refreshInterval,
      secretStoreRef: { kind: 'SecretStore', name: names.store },
      // Owner: the Secret goes with its ExternalSecret. Retain: keys deleted in Vault stay until replaced.
      target: { name: secretName, creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      data: Object.entries(credentialFields).map(([secretKey, property]) => ({
        secretKey,
        remoteRef: { key: names.key, property },
      })),
    },
  };
  return [serviceAccount, secretStore, externalSecret];
}

/** The Vault policy of a project (JSON, which `vault policy write` reads as HCL): read its path, nothing else. */
export function vaultPolicy(names: VaultNames): object {
  return { path: { [names.path]: { capabilities: ['read'] } } };
}

/** The Kubernetes-auth role of one namespace (the body of `vault write auth/<mount>/role/<role>`). */
export function vaultRole(vault: VaultSettings, names: VaultNames, namespace: string): object {
  return {
    bound_service_account_names: [vaultServiceAccount],
    bound_service_account_namespaces: [namespace],
    audience: vault.audience,
    token_policies: [names.policy],
    // Long enough for one read; the operator logs in again at every refresh.
    token_ttl: '10m',
    token_max_ttl: '10m',
  };
}

/**
 * Where a project's Vault files sit in its vault/ folder (argocd.ts clusterPaths): a policy file or a role
 * file, named by the policy or role. Render writes them there; lint and plan read what a path holds here.
 */
export type VaultFileKind = 'policy' | 'role';
const vaultFolders: Record<VaultFileKind, string> = { policy: 'policies', role: 'roles' };

export const vaultFilePath = (vaultFolder: string, kind: VaultFileKind, name: string) =>
  `${vaultFolder}/${vaultFolders[kind]}/${name}.json`;

const vaultFilePattern = /\/vault\/(policies|roles)\/([^/]+)\.json$/;

/** What a path holds, if it is a Vault file of a project. */
export function vaultFileAt(path: string): { kind: VaultFileKind; name: string } | undefined {
  const [, folder, name] = vaultFilePattern.exec(path) ?? [];
  return folder === undefined ? undefined : { kind: folder === vaultFolders.policy ? 'policy' : 'role', name };
}
