import type { ConfigMap, LimitRange, Namespace, ResourceQuota, ServiceAccount } from 'kubernetes-types/core/v1';
import type { PolicyRule, Role, RoleBinding } from 'kubernetes-types/rbac/v1';
import { externalSecretsOf, type Cluster, type ContainerResources } from '@flyte-gkp/platform';
import type { OwnerRole, ProjectSpec } from '@flyte-gkp/project-spec';
import { credentialObjects } from './credentials.js';
import { labels, managedBy, type ProjectDomain } from './names.js';
import { tenantNetworkPolicy } from './network.js';
import { ownerRoleName, ownerRoleRules } from './owner-roles.js';
import { toYamlDocuments } from './serialize.js';

/** The service account workflow pods of the project run as (set in the generated flytekit config). */
export const workflowServiceAccount = 'flyte-workflow';

/** Flyte's own service accounts in the system namespace, named by the flyte chart. */
export const flyteServiceAccounts = {
  admin: 'flyteadmin',
  propeller: 'flytepropeller',
  dashboard: 'flyte-kubernetes-dashboard',
} as const;

export const syncWave = 'argocd.argoproj.io/sync-wave';
export const syncOptions = 'argocd.argoproj.io/sync-options';
/** Removing a spec or a domain must never delete a namespace and the data in it, nor open it up. */
export const keepNamespace = 'Prune=false,Delete=false';

type Labelled = { [key: string]: string };

const containerResources = ({ cpu, memory, ephemeralStorage }: ContainerResources) => ({
  cpu,
  memory,
  'ephemeral-storage': ephemeralStorage,
});

function tenantLabels(cluster: Cluster, spec: ProjectSpec, d: ProjectDomain): Labelled {
  return {
    [labels.appId]: cluster.appId,
    [labels.project]: spec.id,
    [labels.domain]: d.domain,
    [labels.managedBy]: managedBy,
  };
}

/**
 * Rules are what flyteadmin and flytepropeller do in an execution namespace (flyte chart v0.15.0),
 * granted per namespace instead of through their ClusterRoles.
 */
const flyteworkflows = { apiGroups: ['flyte.lyft.com'], resources: ['flyteworkflows', 'flyteworkflows/finalizers'] };
const adminRules: PolicyRule[] = [{ ...flyteworkflows, verbs: ['create', 'delete', 'get', 'list', 'watch'] }];
const propellerRules: PolicyRule[] = [
  { ...flyteworkflows, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
];
/** kubernetes-dashboard shows task logs (Flyte's log links point at it). */
const dashboardRules: PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
];

/**
 * The storage config raw-container (co-pilot) tasks mount from their EXECUTION namespace, as upstream's
 * cluster-resource templates create it (off here). Keys come from the pod's environment (`iam`: the AWS
 * chain), never from this file.
 */
export const dataConfigName = 'flyte-data-config';
function dataConfig(cluster: Cluster): string {
  const { endpoint, region, metadataBucket } = cluster.storage;
  return toYamlDocuments([
    {
      storage: {
        type: 's3',
        container: metadataBucket,
        connection: { endpoint, 'auth-type': 'iam', region, 'disable-ssl': false },
        'enable-multicontainer': true,
      },
    },
  ]);
}

/** Everything one domain of a project gets in its own namespace, in apply order. */
export function tenantNamespaceObjects(cluster: Cluster, spec: ProjectSpec, d: ProjectDomain): object[] {
  const metaLabels = tenantLabels(cluster, spec, d);
  const externalSecrets = externalSecretsOf(cluster);
  const meta = (name: string, wave: number) => ({
    name,
    namespace: d.namespace,
    labels: metaLabels,
    annotations: { [syncWave]: String(wave) },
  });
  // A namespace kept after its spec or domain is removed stays isolated and bounded: its pods and
  // Secrets are still there. Only a decommissioned domain lets Argo CD remove these.
  const keptMeta = (name: string, wave: number) => {
    const base = meta(name, wave);
    return d.decommission ? base : { ...base, annotations: { ...base.annotations, [syncOptions]: keepNamespace } };
  };

  const namespace: Namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: d.namespace,
      labels: metaLabels,
      annotations: {
        [syncWave]: '-2',
        ...(d.decommission ? {} : { [syncOptions]: keepNamespace }),
        'flytepoc.gkp.io/display-name': spec.displayName,
      },
    },
  };
  const quota: ResourceQuota = {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: keptMeta('project-quota', -1),
    spec: {
      // Requests, what the scheduler reserves; each container's limits are bounded by the LimitRange.
      hard: {
        'requests.cpu': d.quota.cpu,
        'requests.memory': d.quota.memory,
        'requests.ephemeral-storage': d.quota.ephemeralStorage,
        pods: String(d.quota.pods),
        persistentvolumeclaims: String(d.quota.persistentVolumeClaims),
        'requests.storage': d.quota.storage,
        configmaps: String(d.quota.configMaps),
        secrets: String(d.quota.secrets),
        services: String(d.quota.services),
        // Nothing leaves the cluster but through the ingress controller (lint: quota/no-exposed-services).
        'services.loadbalancers': String(d.quota.loadBalancers),
        'services.nodeports': String(d.quota.nodePorts),
      },
    },
  };
  // Under a quota on requests, a container without requests is refused: give it defaults. flyteplugins
  // v0.5.56 (propeller v0.12.9) strips ephemeral-storage from task pods, so that default comes from here.
  // The default LIMIT is the per-container maximum: a container that sets only requests up to it is admitted.
  const limitRange: LimitRange = {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: keptMeta('container-defaults', -1),
    spec: {
      limits: [
        {
          type: 'Container',
          defaultRequest: containerResources(cluster.quota.containerDefaults),
          default: containerResources(cluster.quota.containerMax),
          max: containerResources(cluster.quota.containerMax),
        },
      ],
    },
  };
  const serviceAccount: ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(workflowServiceAccount, -1),
    // Workflow code has no business with the Kubernetes API.
    automountServiceAccountToken: false,
  };
  const copilotConfig: ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(dataConfigName, -1),
    data: { 'config.yaml': dataConfig(cluster) },
  };
  const namespacedRole = (name: string, rules: PolicyRule[]): Role => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta(name, -1),
    rules,
  });
  const flyteBinding = (name: string, serviceAccountName: string): RoleBinding => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(name, -1),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccountName, namespace: cluster.systemNamespace }],
  });
  // Each role in use: its own Role in this namespace (owner-roles.ts), and the binding of its groups.
  const ownerAccess: (Role | RoleBinding)[] = (['admin', 'edit', 'view'] as OwnerRole[]).flatMap((role) => {
    const groups = [...new Set(spec.owners.filter((o) => o.role === role).map((o) => o.group))].sort();
    if (groups.length === 0) return [];
    const name = ownerRoleName(role);
    const ownerRole = namespacedRole(name, ownerRoleRules[role]);
    const binding: RoleBinding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(name, -1),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: groups.map((group) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group })),
    };
    return [ownerRole, binding];
  });
  return [
    namespace,
    quota,
    limitRange,
    serviceAccount,
    copilotConfig,
    namespacedRole('flyteadmin', adminRules),
    flyteBinding('flyteadmin', flyteServiceAccounts.admin),
    namespacedRole('flytepropeller', propellerRules),
    flyteBinding('flytepropeller', flyteServiceAccounts.propeller),
    namespacedRole('kubernetes-dashboard', dashboardRules),
    flyteBinding('kubernetes-dashboard', flyteServiceAccounts.dashboard),
    ...ownerAccess,
    tenantNetworkPolicy(cluster, keptMeta('tenant-isolation', -1)),
    // The keys: from Vault by the operator, or (manual fallback) a Secret the platform team creates.
    ...(externalSecrets ? credentialObjects(externalSecrets, spec, d, meta) : []),
  ];
}
