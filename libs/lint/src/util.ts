import { posix } from 'node:path';
import { isNode, LineCounter, parseAllDocuments } from 'yaml';
import type { Cluster, LoadedCluster, Platform } from '@flyte-gkp/platform';
import { clusterPaths, projectOnCluster, type RenderedFile } from '@flyte-gkp/render';
import type { PathSegment, ProjectSpec, SourceDocument } from '@flyte-gkp/project-spec';
import type { LintContext } from './rule.js';

/** The clusters a spec is onboarded on. */
export function clustersOf(platform: Platform, spec: ProjectSpec): LoadedCluster[] {
  return platform.clusters.filter(({ cluster }) => projectOnCluster(spec, cluster));
}

/** The first pattern `name` matches: `kube-*` matches every name starting with `kube-`, anything else itself only. */
export function matchingPattern(name: string, patterns: readonly string[]): string | undefined {
  return patterns.find((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/**
 * Every item whose key another item shares, with those others. Each side of a clash is reported: the
 * spec a user is adding may sort before the one it collides with, and a focused run shows only its own file.
 */
export function clashes<T>(items: readonly T[], key: (item: T) => string): { item: T; others: T[] }[] {
  const byKey = groupBy(items, key);
  return items
    .map((item) => ({ item, others: (byKey.get(key(item)) ?? []).filter((o) => o !== item) }))
    .filter((c) => c.others.length > 0);
}

/**
 * The clashes of specs, each reported on the side that introduces it: where some of the specs are
 * `established` (their files are in the base, or in the last commit) and some are not, the new ones;
 * otherwise every one but the first by file name. The team whose spec was there first is not told to
 * change it, and CI annotates the file of the change.
 */
export function introducedClashes<T extends { file: string }>(
  items: readonly T[],
  key: (item: T) => string,
  established: ReadonlySet<string> = new Set(),
): { item: T; others: T[] }[] {
  return clashes(items, key).filter(({ item, others }) => {
    const isNew = (i: T) => !established.has(i.file);
    const group = [item, ...others];
    if (group.some(isNew) && !group.every(isNew)) return isNew(item);
    return others.some((o) => o.file.localeCompare(item.file) <= 0);
  });
}

/**
 * The id a fix can name for the spec in `file`: its own when no other spec has it, else one no spec has
 * and no cluster reserves: the file's name first (`fraud.json` copied from `y.json` becomes fraud),
 * then that name with -2, -3...
 */
export function idOfItsOwn({ platform, projects }: LintContext, file: string, id: unknown): string {
  const taken = new Map<string, number>();
  for (const p of projects) taken.set(p.spec.id, (taken.get(p.spec.id) ?? 0) + 1);
  if (typeof id === 'string' && taken.get(id) === 1) return id;
  const base = posix
    .basename(file)
    .replace(/\.(ya?ml|json)$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-');
  const reserved = (candidate: string) =>
    platform.clusters.some(({ cluster }) => matchingPattern(candidate, cluster.reservedProjectIds));
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!taken.has(candidate) && !reserved(candidate)) return candidate;
  }
}

/** The items by key, each group in the items' order. */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * The values inside `value` (itself included) that `keep` accepts, with their paths. One walk over one
 * path array, copied only for a value kept: rules look at every value of 30,000 rendered objects.
 */
export function findNodes(
  value: unknown,
  keep: (value: unknown, path: readonly PathSegment[]) => boolean,
): { value: unknown; path: PathSegment[] }[] {
  const found: { value: unknown; path: PathSegment[] }[] = [];
  const path: PathSegment[] = [];
  const walk = (current: unknown) => {
    if (keep(current, path)) found.push({ value: current, path: [...path] });
    if (current === null || typeof current !== 'object') return;
    // Loops, not entry tuples: a tuple per value made a third of this walk's time garbage collection.
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        path.push(i);
        walk(current[i]);
        path.pop();
      }
      return;
    }
    const mapping = current as Record<string, unknown>;
    for (const key of Object.keys(mapping)) {
      path.push(key);
      walk(mapping[key]);
      path.pop();
    }
  };
  walk(value);
  return found;
}

export function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  return path.reduce<unknown>(
    (v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
    value,
  );
}

/** Where a value of one rendered YAML document stands. */
type DocumentLocator = Pick<SourceDocument, 'locate'>;

/**
 * The YAML documents of a rendered file as written (objects[i] is document i), each able to say where
 * a value stands: a finding about rendered output points at the very line a reviewer sees in the diff.
 * Rules read the values from the rendered objects, so the documents are not converted back to values.
 */
function renderedDocuments(file: RenderedFile): DocumentLocator[] {
  const lineCounter = new LineCounter();
  // Rendered files are written as YAML 1.1 (see render/serialize.ts): read them the same way.
  return parseAllDocuments(file.content, { lineCounter, version: '1.1' }).map((doc) => ({
    locate(path: readonly PathSegment[]) {
      // The deepest part of the path that exists: a missing field points at its parent.
      for (let n = path.length; n >= 0; n--) {
        const node = n > 0 ? doc.getIn(path.slice(0, n), true) : doc.contents;
        if (isNode(node) && node.range) {
          const { line, col } = lineCounter.linePos(node.range[0]);
          return { line, column: col };
        }
      }
      return { line: 1, column: 1 };
    },
  }));
}

/**
 * Positions in a rendered file, parsed on first use: rules walk the rendered objects, and only a
 * finding needs its line (parsing every rendered file costs seconds at a thousand projects).
 */
export function lazyDocuments(file: RenderedFile): () => DocumentLocator[] {
  let documents: DocumentLocator[] | undefined;
  return () => (documents ??= renderedDocuments(file));
}

/** Where flyteadmin's namespace template sits in the flyte chart's values. */
export const namespaceTemplatePath = ['configmap', 'adminServer', 'namespace_mapping', 'template'];

/** The flyte Helm values rendered for a cluster: the rendered object, its text parsed only to locate. */
export function renderedFlyteValues({ rendered }: LintContext, cluster: Cluster): SourceDocument | undefined {
  const file = rendered.get(cluster.name)?.find((f) => f.path === clusterPaths(cluster).flyteValues);
  if (!file) return undefined;
  const documents = lazyDocuments(file);
  return {
    file: file.path,
    text: file.content,
    value: file.objects[0],
    locate: (path, at) => documents()[0].locate(path, at),
  };
}
