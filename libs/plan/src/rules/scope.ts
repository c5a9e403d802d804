import type { Change } from '../diff.js';
import { groupOf, type PlanObject } from '../model.js';
import {
  asArray,
  asStrings,
  at,
  isKind,
  isRecord,
  type RiskContext,
  type RiskFinding,
  type RiskRule,
} from '../risk.js';

const rbac = 'rbac.authorization.k8s.io';

/** Each permission a Role's rules grant, one `verb resource` (or `verb URL`) at a time. */
function permissions(role: unknown): Set<string> {
  const granted = new Set<string>();
  for (const rule of asArray(at(role, 'rules'))) {
    const groups = asStrings(at(rule, 'apiGroups'));
    const inGroups = (r: string) => (groups.length ? groups : ['']).map((g) => (g ? `${r}.${g}` : r));
    const resources = [
      ...asStrings(at(rule, 'resources')).flatMap(inGroups),
      ...asStrings(at(rule, 'nonResourceURLs')),
    ];
    const names = asStrings(at(rule, 'resourceNames'));
    for (const verb of asStrings(at(rule, 'verbs')))
      for (const r of resources) granted.add(`${verb} ${r}${names.length ? ` (${names.join(', ')})` : ''}`);
  }
  return granted;
}

const subjects = (binding: unknown) =>
  new Set(
    asArray(at(binding, 'subjects'))
      .filter(isRecord)
      .map((s) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`),
  );
const roleRef = (binding: unknown) => `${at(binding, 'roleRef', 'kind')} ${at(binding, 'roleRef', 'name')}`;
const added = <T>(before: Set<T>, after: Set<T>) => [...after].filter((x) => !before.has(x)).sort();

/**
 * A new object in a namespace that already existed widens access there; one of a new namespace is the
 * namespace's own.
 */
function inExistingNamespace(change: Change, base: readonly PlanObject[]): boolean {
  if (change.namespace === '') return true;
  return base.some(
    (o) =>
      o.cluster === change.cluster &&
      o.kind === 'Namespace' &&
      groupOf(o.apiVersion) === '' &&
      o.name === change.namespace,
  );
}

function rbacFindings({ changes, base }: RiskContext): RiskFinding[] {
  const findings: RiskFinding[] = [];
  for (const change of changes) {
    if (change.action === 'delete' || !isKind(change, rbac, 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'))
      continue;
    if (change.action === 'create' && !inExistingNamespace(change, base)) continue;
    const before = change.base?.object;
    const after = change.head!.object;
    if (change.kind.endsWith('Role')) {
      const gained = added(permissions(before), permissions(after));
      if (gained.length)
        findings.push({
          change,
          message:
            `${change.kind} ${change.name} ` +
            `${change.action === 'create' ? 'grants' : 'now also grants'}: ${gained.join(', ')}`,
        });
    } else {
      const gained = added(
        before && roleRef(before) === roleRef(after) ? subjects(before) : new Set(),
        subjects(after),
      );
      if (gained.length)
        findings.push({
          change,
          message: `${change.kind} ${change.name} binds ${roleRef(after)} to: ${gained.join(', ')}`,
        });
    }
  }
  return findings;
}

export const rbacWidened: RiskRule = {
  id: 'scope/rbac-widened',
  severity: 'warning',
  description:
    'A Role or ClusterRole grants new verbs or resources, or a binding gives a role to new subjects, ' +
    'in a namespace that already existed.',
  fix: 'check that every new permission is needed, and that each subject is who it should be',
  check: rbacFindings,
};

/** The AppProject fields that say what its Applications may deploy, where, and who may act on them. */
const appProjectScope: [string, (project: unknown) => string[]][] = [
  [
    'destinations',
    (p) =>
      asArray(at(p, 'spec', 'destinations')).map((d) => `${at(d, 'server') ?? at(d, 'name')} ${at(d, 'namespace')}`),
  ],
  ['sourceRepos', (p) => asStrings(at(p, 'spec', 'sourceRepos'))],
  [
    'clusterResourceWhitelist',
    (p) =>
      asArray(at(p, 'spec', 'clusterResourceWhitelist')).map((k) => `${at(k, 'group') || 'core'}/${at(k, 'kind')}`),
  ],
  [
    'namespaceResourceWhitelist',
    (p) =>
      asArray(at(p, 'spec', 'namespaceResourceWhitelist')).map((k) => `${at(k, 'group') || 'core'}/${at(k, 'kind')}`),
  ],
  [
    'roles',
    (p) =>
      asArray(at(p, 'spec', 'roles')).flatMap((r) => [
        ...asStrings(at(r, 'groups')).map((g) => `${at(r, 'name')}: group ${g}`),
        ...asStrings(at(r, 'policies')).map((x) => `${at(r, 'name')}: ${x}`),
      ]),
  ],
];

export const appProjectWidened: RiskRule = {
  id: 'scope/appproject-widened',
  severity: 'warning',
  description: 'An AppProject allows new destinations, source repositories, kinds or groups.',
  fix: 'check that the project needs the wider scope (a new domain adds its namespace as a destination)',
  check: ({ changes }) =>
    changes
      .filter((c) => c.action === 'update' && isKind(c, 'argoproj.io', 'AppProject'))
      .flatMap((change) => {
        const gained = appProjectScope.flatMap(([field, read]) =>
          added(new Set(read(change.base!.object)), new Set(read(change.head!.object))).map((v) => `${field} ${v}`),
        );
        return gained.length
          ? [{ change, message: `AppProject ${change.name} now also allows: ${gained.join('; ')}` }]
          : [];
      }),
};

/** Kinds that live outside any namespace; Namespaces themselves have the deletion rules. */
export const clusterScopedKinds = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'APIService',
  'PriorityClass',
  'StorageClass',
  'IngressClass',
  'RuntimeClass',
  'PersistentVolume',
  'CSIDriver',
  'PodSecurityPolicy',
  'Node',
]);

export const clusterScopedChanged: RiskRule = {
  id: 'scope/cluster-scoped',
  severity: 'warning',
  description:
    'An object outside any namespace (a ClusterRole, a CRD, a webhook...) is created, changed or deleted: ' +
    'it affects every tenant.',
  fix:
    'have the platform team review it, ' +
    'and list any new cluster-scoped permission with its reason in libs/gate/src/chart-exceptions.ts',
  check: ({ changes }) =>
    changes
      .filter((c) => clusterScopedKinds.has(c.kind))
      .map((change) => ({
        change,
        message:
          `cluster-scoped ${change.kind} ${change.name} will be ${change.action}d: ` +
          `it affects every project on ${change.cluster}`,
      })),
};
