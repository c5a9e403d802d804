/**
 * What the flyte chart v0.15.0 renders that the chart stage would otherwise refuse, each with its reason.
 * The ONE list: an entry the render no longer needs is itself a finding, so the list stays exact.
 */

/** A schema finding the API server accepts, in an object the values cannot change. */
export interface SchemaException {
  kind: string;
  name: string;
  /** kubeconform's JSON pointer of the finding */
  path: string;
  /** a part of kubeconform's message */
  message: string;
  template: string;
  reason: string;
}

/** Cluster-scoped objects that remain, as the operator guide's "Permissions that remain cluster-scoped" lists them. */
export interface ClusterScopedException {
  /** what the table's row names */
  permission: string;
  /** who creates it: the chart (checked against its render), or something else named here */
  createdBy: 'chart' | 'the pod webhook at start-up' | 'this repository';
  objects: { kind: string; name: string }[];
  why: string;
  removal: string;
}

export const schemaExceptions: SchemaException[] = [
  {
    kind: 'Secret',
    name: 'flyte-admin-secrets',
    path: '/stringData',
    message: 'got null, want object',
    template: 'flyte/templates/admin/secret-auth.yaml',
    reason:
      'the chart writes `stringData:` empty unless flyteadmin.secrets holds values, and those would be secrets ' +
      "in git; the API server reads null as an absent field, and flyteadmin's generate-secrets init container " +
      'fills the Secret',
  },
];

export const clusterScopedExceptions: ClusterScopedException[] = [
  {
    permission: 'CRD `flyteworkflows.flyte.lyft.com` (apiextensions v1beta1)',
    createdBy: 'chart',
    objects: [{ kind: 'CustomResourceDefinition', name: 'flyteworkflows.flyte.lyft.com' }],
    why: "A CRD is cluster-scoped by nature; propeller's work queue is made of FlyteWorkflows.",
    removal: 'Nothing: install once by the platform team, as a documented exception.',
  },
  {
    permission: 'ClusterRole/ClusterRoleBinding `flyteadmin` (verbs `*` on namespaces, roles, secrets, quotas ...)',
    createdBy: 'chart',
    objects: [
      { kind: 'ClusterRole', name: 'flyteadmin' },
      { kind: 'ClusterRoleBinding', name: 'flyteadmin-binding' },
    ],
    why:
      'Unconditional in chart v0.15.0; used by the cluster resource sync, which is off here. `serve` itself needs ' +
      'only FlyteWorkflows (now per namespace) and one Secret in its own namespace.',
    removal:
      'A `$patch: delete` in the platform kustomization, once a Role grants what `serve` and its generate-secrets ' +
      'step use (not yet verified on a cluster); flyte-core ≥ v0.19.0 makes it optional.',
  },
  {
    permission: 'ClusterRole/ClusterRoleBinding `flytepropeller` (`*` on `*`)',
    createdBy: 'chart',
    objects: [
      { kind: 'ClusterRole', name: 'flytepropeller' },
      { kind: 'ClusterRoleBinding', name: 'flytepropeller' },
    ],
    why:
      '`propeller.limit-namespace` is one namespace or `all`; with several project namespaces it must be `all`, ' +
      'so it watches FlyteWorkflows and pods cluster-wide and lists namespaces for GC.',
    removal: 'One propeller per namespace (`limit-namespace: <ns>`), or upstream namespace-scoped RBAC (v1.16.0).',
  },
  {
    permission:
      'ClusterRole/ClusterRoleBinding `flyte-pod-webhook` ' +
      '(get/create/update/patch on secrets, pods, webhook configurations)',
    createdBy: 'chart',
    objects: [
      { kind: 'ClusterRole', name: 'flyte-pod-webhook' },
      { kind: 'ClusterRoleBinding', name: 'flyte-pod-webhook' },
    ],
    why: 'The webhook registers itself and injects secrets into task pods of every namespace.',
    removal: 'Secrets mounted by other means, or a chart that scopes the webhook.',
  },
  {
    permission: 'MutatingWebhookConfiguration `flyte-pod-webhook`',
    createdBy: 'the pod webhook at start-up',
    objects: [],
    why:
      'Not rendered: the webhook creates it when it starts ' +
      '(pods labelled `inject-flyte-secrets: "true"`, all namespaces, failurePolicy Ignore).',
    removal: 'A namespaceSelector limited to `flytepoc.gkp.io/project` namespaces (newer charts).',
  },
  {
    permission: '`Namespace` creation (AppProjects allow it)',
    createdBy: 'this repository',
    objects: [],
    why: 'The system and project namespaces are created by Argo CD from this repository.',
    removal: "GKP's own namespace process, with this repository rendering only what goes inside.",
  },
];

/** The table of "Permissions that remain cluster-scoped" that `npm run docs` writes into docs/operator-guide.md. */
export function clusterScopedTable(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    '| Permission | Created by | Why it is needed | What would remove it |',
    '| --- | --- | --- | --- |',
    ...clusterScopedExceptions.map(
      (e) => `| ${cell(e.permission)} | ${e.createdBy} | ${cell(e.why)} | ${cell(e.removal)} |`,
    ),
  ].join('\n');
}
