import type { PolicyRule } from 'kubernetes-types/rbac/v1';
import type { OwnerRole } from '@flyte-gkp/project-spec';

/**
 * What each owner role may do in its project's namespaces: a Role rendered in each namespace, instead of
 * Kubernetes' built-in aggregated ClusterRoles `admin` and `edit`, which let a tenant write the
 * NetworkPolicies that fence its namespace (and `admin` create RoleBindings there). Listed resource by
 * resource, no wildcard: a resource a later Kubernetes adds is granted to nobody until it is listed here.
 *
 * None of them writes NetworkPolicies, ResourceQuotas, LimitRanges, Roles or RoleBindings, nor holds
 * `escalate`, `bind` or `impersonate`: what the platform rendered for a namespace stays as rendered, and
 * nobody grants anything to a subject outside the project. Owners keep what running and debugging
 * workflows takes: pods, their logs, exec, attach and port-forward, their namespace's Secrets and
 * ConfigMaps, and reading FlyteWorkflows (flytepropeller alone writes those).
 */
const read = ['get', 'list', 'watch'];
const write = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const readWrite = [...read, ...write];

/** Workloads and what they run with: read for every role, written by `edit` and `admin`. */
const workloads = [
  { apiGroups: [''], resources: ['pods', 'configmaps', 'services', 'persistentvolumeclaims'] },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets'] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'] },
];
/** What the platform renders and owners may only read. */
const fences = [
  { apiGroups: [''], resources: ['resourcequotas', 'limitranges', 'serviceaccounts', 'events'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'] },
  { apiGroups: ['flyte.lyft.com'], resources: ['flyteworkflows'] },
];

const viewRules: PolicyRule[] = [
  ...workloads.map((rule) => ({ ...rule, verbs: read })),
  ...fences.map((rule) => ({ ...rule, verbs: read })),
  { apiGroups: [''], resources: ['pods/log'], verbs: read },
];

const editRules: PolicyRule[] = [
  ...workloads.map((rule) => ({ ...rule, verbs: readWrite })),
  ...fences.map((rule) => ({ ...rule, verbs: read })),
  { apiGroups: [''], resources: ['pods/log'], verbs: read },
  { apiGroups: [''], resources: ['secrets'], verbs: readWrite },
  // kubectl exec, attach and port-forward: a POST (create), or a GET over a WebSocket.
  { apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], verbs: ['create', 'get'] },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
];

/** `admin` is `edit` and reading who has access: the bindings and their roles, never writing them. */
const adminRules: PolicyRule[] = [
  ...editRules,
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: read },
];

export const ownerRoleRules: Record<OwnerRole, PolicyRule[]> = { admin: adminRules, edit: editRules, view: viewRules };

/** The Role of owners with `role`, and the RoleBinding that grants it, in each namespace of the project. */
export const ownerRoleName = (role: OwnerRole) => `owners-${role}`;
