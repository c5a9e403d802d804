import { compareQuantities, parseQuantity } from '@flyte-gkp/lint';
import type { Change } from '../diff.js';
import type { PlanObject } from '../model.js';
import { asArray, at, isKind, isRecord, type RiskContext, type RiskFinding, type RiskRule } from '../risk.js';

/** Both values quantities, the first the larger (an unreadable one is kubeconform's and the lint rules' to report). */
function isMore(after: unknown, before: unknown): boolean {
  const [a, b] = [parseQuantity(String(after)), parseQuantity(String(before))];
  return a !== undefined && b !== undefined && compareQuantities(a, b) > 0;
}

export const quotaRaised: RiskRule = {
  id: 'quota/raised',
  severity: 'warning',
  description: 'A ResourceQuota allows more (a higher limit, or a limit removed).',
  fix: 'check that the cluster has the capacity, and that the project owner asked for it',
  check: ({ changes }) =>
    changes
      .filter((c) => c.action === 'update' && isKind(c, '', 'ResourceQuota'))
      .flatMap((change) => {
        const before = at(change.base!.object, 'spec', 'hard');
        const after = at(change.head!.object, 'spec', 'hard');
        if (!isRecord(before)) return [];
        const hard = isRecord(after) ? after : {};
        const raised = Object.keys(before)
          .sort()
          .filter((r) => !(r in hard) || isMore(hard[r], before[r]))
          .map((r) => (r in hard ? `${r} ${before[r]} → ${hard[r]}` : `${r} ${before[r]} → unlimited`));
        return raised.length
          ? [{ change, message: `quota ${change.namespace}/${change.name} raised: ${raised.join(', ')}` }]
          : [];
      }),
};

const workloadKinds = ['Deployment', 'StatefulSet', 'DaemonSet'];

/** The ConfigMaps a workload's pods read: mounted, projected, or loaded into the environment. */
function configMapsOf(workload: PlanObject): Set<string> {
  const pod = at(workload.object, 'spec', 'template', 'spec');
  const names = new Set<string>();
  for (const volume of asArray(at(pod, 'volumes'))) {
    const direct = at(volume, 'configMap', 'name');
    if (typeof direct === 'string') names.add(direct);
    for (const source of asArray(at(volume, 'projected', 'sources'))) {
      const projected = at(source, 'configMap', 'name');
      if (typeof projected === 'string') names.add(projected);
    }
  }
  for (const container of [...asArray(at(pod, 'containers')), ...asArray(at(pod, 'initContainers'))]) {
    for (const from of asArray(at(container, 'envFrom'))) {
      const name = at(from, 'configMapRef', 'name');
      if (typeof name === 'string') names.add(name);
    }
    for (const env of asArray(at(container, 'env'))) {
      const name = at(env, 'valueFrom', 'configMapKeyRef', 'name');
      if (typeof name === 'string') names.add(name);
    }
  }
  return names;
}

const isPlatform = (c: Change) => c.project === null;
const fields = (change: Change) =>
  change.diff
    .map((d) => d.path)
    .slice(0, 5)
    .join(', ') + (change.diff.length > 5 ? ', ...' : '');

function restartFindings({ changes, head }: RiskContext): RiskFinding[] {
  const workloads = head.filter((o) => o.project === null && workloadKinds.includes(o.kind));
  const findings: RiskFinding[] = [];
  for (const change of changes.filter((c) => c.action === 'update' && isPlatform(c))) {
    if (workloadKinds.includes(change.kind) && change.diff.some((d) => d.path.startsWith('spec.template'))) {
      const message =
        `the pods of ${change.kind} ${change.name} will be replaced (${fields(change)}): ` +
        "every project's executions are affected meanwhile";
      findings.push({ change, message });
    } else if (isKind(change, '', 'ConfigMap')) {
      const users = workloads
        .filter(
          (w) => w.cluster === change.cluster && w.namespace === change.namespace && configMapsOf(w).has(change.name),
        )
        .map((w) => `${w.kind} ${w.name}`);
      const message =
        `ConfigMap ${change.name}, read by ${users.join(', ')}, changes (${fields(change)}): ` +
        'they run with it from their next restart';
      if (users.length) findings.push({ change, message });
    }
  }
  return findings;
}

export const flyteRestarts: RiskRule = {
  id: 'platform/restart',
  severity: 'warning',
  description:
    "Flyte's own components restart: a Deployment's pod template (ours or the chart's) " +
    "or a ConfigMap it reads changes: every project's executions are affected.",
  fix:
    'merge it when a restart of Flyte is acceptable: ' +
    'running executions pause and the console is unavailable meanwhile',
  check: restartFindings,
};
