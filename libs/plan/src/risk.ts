import type { Change } from './diff.js';
import { groupOf, type PlanObject } from './model.js';

/** A blocking risk fails `validate --base`; a warning is shown in the plan and lets it pass. */
export type Severity = 'blocking' | 'warning';

/** What every risk rule sees: the changes, and both sides whole (a ConfigMap's users, a namespace's existence). */
export interface RiskContext {
  changes: readonly Change[];
  base: readonly PlanObject[];
  head: readonly PlanObject[];
}

/** A risk without the rule id and severity: the runner adds them, and the rule's fix unless it has its own. */
export interface RiskFinding {
  change: Change;
  message: string;
  fix?: string;
}

export interface RiskRule {
  /** `<area>/<name>`, stable: fixtures are filed under it and reviewers grep for it. */
  id: string;
  severity: Severity;
  /** One line: what the rule reports. */
  description: string;
  /** One line: what to do about it, unless the finding says more precisely. */
  fix: string;
  check(context: RiskContext): RiskFinding[];
}

export interface Risk {
  rule: string;
  severity: Severity;
  message: string;
  fix: string;
  cluster: string;
  project: string | null;
  kind: string;
  namespace: string;
  name: string;
  change: Change;
}

export function runRisks(rules: readonly RiskRule[], context: RiskContext): Risk[] {
  return rules.flatMap((rule) =>
    rule.check(context).map(({ change, message, fix }) => ({
      rule: rule.id,
      severity: rule.severity,
      message,
      fix: fix ?? rule.fix,
      cluster: change.cluster,
      project: change.project,
      kind: change.kind,
      namespace: change.namespace,
      name: change.name,
      change,
    })),
  );
}

/** Helpers the rules share. */
export const isKind = (change: Pick<Change, 'apiVersion' | 'kind'>, group: string, ...kinds: string[]) =>
  groupOf(change.apiVersion) === group && kinds.includes(change.kind);

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at a dotted path of plain keys, or undefined. */
export function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = isRecord(current) ? current[key] : undefined;
  return current;
}

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
export const asStrings = (value: unknown): string[] => asArray(value).filter((v): v is string => typeof v === 'string');
