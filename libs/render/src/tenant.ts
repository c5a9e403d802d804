import type { LimitRange, Namespace, ResourceQuota, ServiceAccount } from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import type { PolicyRule, Role, RoleBinding } from 'kubernetes-types/rbac/v1';
import type { Cluster } from '@flyte-gkp/platform';
import type { OwnerRole, ProjectSpec } from '@flyte-gkp/spec';
import { labels, managedBy, type ProjectDomain } from './names.js';

/** The service account workflow pods of the project run as (set in the generated flytekit config). */
export const workflowServiceAccount = 'flyte-workflow';

/** Flyte's own service accounts in the system namespace, named by the flyte chart. */
export const flyteServiceAccounts = { admin: 'flyteadmin', propeller: 'flytepropeller', dashboard: 'flyte-kubernetes-dashboard' } as const;

export const syncWave = 'argocd.argoproj.io/sync-wave';
export const syncOptions = 'argocd.argoproj.io/sync-options';
/** Removing a spec or a domain must never delete a namespace and the data in it. */
export const keepNamespace = 'Prune=false,Delete=false';

type Labelled = { [key: string]: string };

function tenantLabels(cluster: Cluster, spec: ProjectSpec, d: ProjectDomain): Labelled {
  return { [labels.appId]: cluster.appId, [labels.project]: spec.id, [labels.domain]: d.domain, [labels.managedBy]: managedBy };
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
const dashboardRules: PolicyRule[] = [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] }];

/** Everything one domain of a project gets in its own namespace, in apply order. */
export function tenantNamespaceObjects(cluster: Cluster, spec: ProjectSpec, d: ProjectDomain): object[] {
  const metaLabels = tenantLabels(cluster, spec, d);
  const meta = (name: string, wave: number) => ({
    name,
    namespace: d.namespace,
    labels: metaLabels,
    annotations: { [syncWave]: String(wave) },
  });

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
    metadata: meta('project-quota', -1),
    spec: {
      hard: {
        'requests.cpu': d.quota.cpu,
        'limits.cpu': d.quota.cpu,
        'requests.memory': d.quota.memory,
        'limits.memory': d.quota.memory,
        pods: String(d.quota.pods),
      },
    },
  };
  // Under a quota, a pod without requests is refused: give containers defaults.
  const limitRange: LimitRange = {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: meta('container-defaults', -1),
    spec: {
      limits: [
        {
          type: 'Container',
          default: { ...cluster.quota.containerDefaults },
          defaultRequest: { ...cluster.quota.containerDefaults },
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
  const flyteRole = (name: string, rules: PolicyRule[]): Role => ({
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
  const ownerBindings: RoleBinding[] = (['admin', 'edit', 'view'] as OwnerRole[]).flatMap((role) => {
    const groups = [...new Set(spec.owners.filter((o) => o.role === role).map((o) => o.group))].sort();
    if (groups.length === 0) return [];
    return [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: meta(`owners-${role}`, -1),
        // The built-in aggregated ClusterRoles, granted in this namespace only.
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: groups.map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name })),
      },
    ];
  });
  // Other tenants are kept out: only this namespace and Flyte's own may open connections to its pods.
  const networkPolicy: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('tenant-isolation', -1),
    spec: {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            { podSelector: {} },
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': cluster.systemNamespace } } },
          ],
        },
      ],
    },
  };
  return [
    namespace,
    quota,
    limitRange,
    serviceAccount,
    flyteRole('flyteadmin', adminRules),
    flyteBinding('flyteadmin', flyteServiceAccounts.admin),
    flyteRole('flytepropeller', propellerRules),
    flyteBinding('flytepropeller', flyteServiceAccounts.propeller),
    flyteRole('kubernetes-dashboard', dashboardRules),
    flyteBinding('kubernetes-dashboard', flyteServiceAccounts.dashboard),
    ...ownerBindings,
    networkPolicy,
  ];
}
