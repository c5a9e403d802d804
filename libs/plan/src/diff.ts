import { keyOf, type PlanObject } from './model.js';

export type Action = 'create' | 'update' | 'delete';

/** One field that differs; `before` is absent for an added field, `after` for a removed one. */
export interface FieldChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface Change {
  cluster: string;
  project: string | null;
  action: Action;
  kind: string;
  apiVersion: string;
  namespace: string;
  name: string;
  /** For a create every field it sets, for a delete every field it had. */
  diff: FieldChange[];
  /** The object before and after (undefined on the side where it does not exist). */
  base?: PlanObject;
  head?: PlanObject;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const plainKey = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `spec.hard.cpu`, `rules[0].verbs`, `metadata.annotations["argocd.argoproj.io/sync-wave"]`. */
export function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (plainKey.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

const hasObjects = (list: unknown[]) => list.some((v) => typeof v === 'object' && v !== null);

/** Every leaf under `value`, as field changes with `side` set (an empty map, or a list of scalars, is a leaf). */
function leaves(path: string, value: unknown, side: 'before' | 'after', out: FieldChange[]): void {
  const entries =
    Array.isArray(value) && hasObjects(value)
      ? value.map((v, i) => [i, v] as const)
      : isRecord(value)
        ? Object.keys(value)
            .sort()
            .map((k) => [k, value[k]] as const)
        : [];
  if (entries.length === 0) {
    out.push({ path, [side]: value });
    return;
  }
  for (const [key, child] of entries) leaves(fieldPath(path, key), child, side, out);
}

/**
 * Field by field, in a stable order: keys sorted, list items by index. A list of scalars that changed
 * is one change of the whole list (`verbs: [get] → [get, list]`), which reads better than its items.
 */
export function diffValues(before: unknown, after: unknown, path = '', out: FieldChange[] = []): FieldChange[] {
  if (isRecord(before) && isRecord(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      const child = fieldPath(path, key);
      if (!(key in after)) leaves(child, before[key], 'before', out);
      else if (!(key in before)) leaves(child, after[key], 'after', out);
      else diffValues(before[key], after[key], child, out);
    }
  } else if (
    Array.isArray(before) &&
    Array.isArray(after) &&
    hasObjects([...(before as unknown[]), ...(after as unknown[])])
  ) {
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      if (i >= after.length) leaves(fieldPath(path, i), before[i], 'before', out);
      else if (i >= before.length) leaves(fieldPath(path, i), after[i], 'after', out);
      else diffValues(before[i], after[i], fieldPath(path, i), out);
    }
  } else if (JSON.stringify(before) !== JSON.stringify(after)) {
    out.push({ path, before, after });
  }
  return out;
}

const byKey = (objects: readonly PlanObject[]) => new Map(objects.map((o) => [keyOf(o), o]));
const order = (c: Change) => [c.cluster, c.project ?? '', c.namespace, c.kind, c.name, c.apiVersion];

export function compareChanges(a: Change, b: Change): number {
  const [x, y] = [order(a), order(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

/**
 * What Argo CD does to go from `base` to `head`: every object created, updated (with its field diff)
 * or deleted. Ordered by cluster, project (the platform first), namespace, kind and name.
 */
export function diffObjects(base: readonly PlanObject[], head: readonly PlanObject[]): Change[] {
  const before = byKey(base);
  const after = byKey(head);
  const changes: Change[] = [];
  const change = (action: Action, o: PlanObject, diff: FieldChange[], b?: PlanObject, h?: PlanObject): Change => ({
    cluster: o.cluster,
    project: o.project,
    action,
    kind: o.kind,
    apiVersion: o.apiVersion,
    namespace: o.namespace,
    name: o.name,
    diff,
    base: b,
    head: h,
  });
  for (const [key, h] of after) {
    const b = before.get(key);
    if (!b) {
      changes.push(change('create', h, leavesOf(h.object, 'after'), undefined, h));
      continue;
    }
    const diff = diffValues(b.object, h.object);
    if (diff.length > 0) changes.push(change('update', h, diff, b, h));
  }
  for (const [key, b] of before)
    if (!after.has(key)) changes.push(change('delete', b, leavesOf(b.object, 'before'), b));
  return changes.sort(compareChanges);
}

function leavesOf(object: unknown, side: 'before' | 'after'): FieldChange[] {
  const out: FieldChange[] = [];
  leaves('', object, side, out);
  return out;
}
