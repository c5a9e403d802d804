import { labels, syncOptions } from '@flyte-gkp/render';
import type { Change } from '../diff.js';
import { at, isKind, type RiskRule } from '../risk.js';

/** Argo CD neither prunes nor deletes an object with `Prune=false` or `Delete=false` among its sync options. */
export function isProtected(object: unknown): boolean {
  const options = at(object, 'metadata', 'annotations', syncOptions);
  return (
    typeof options === 'string' && options.split(',').some((o) => ['Prune=false', 'Delete=false'].includes(o.trim()))
  );
}

const isNamespace = (c: Change) => isKind(c, '', 'Namespace');
/** Where a namespace's data lives, beside the pods that go with the namespace. */
const dataKinds = ['Secret', 'PersistentVolumeClaim', 'PersistentVolume'];

/** `domain t-dev of projects/x.yaml` from the namespace's labels and the file its manifest was rendered from. */
export function domainOf(change: Change): string {
  const domain = at(change.base?.object, 'metadata', 'labels', labels.domain);
  const spec = change.base?.sources.find((s) => s.startsWith('projects/'));
  if (typeof domain === 'string' && spec) return `domain ${domain} of ${spec}`;
  return `the source of namespace ${change.name}`;
}

export const protectedNamespaceRemoved: RiskRule = {
  id: 'deletion/protected-namespace',
  severity: 'blocking',
  description:
    'A protected Namespace (Prune=false,Delete=false) is no longer rendered: ' +
    'its domain or spec was removed without `decommission: true` first. ' +
    'Argo CD would keep it, stripped of its bindings, and its Application OutOfSync forever.',
  fix:
    'first set `decommission: true` on the domain (every domain, for a whole project) in a pull request of its own; ' +
    'remove it in a later one',
  check: ({ changes }) =>
    changes
      .filter((c) => c.action === 'delete' && isNamespace(c) && isProtected(c.base?.object))
      .map((change) => ({
        change,
        message:
          `namespace ${change.name} is protected, so Argo CD will not delete it: it stays with its Secrets, pods, ` +
          'NetworkPolicy and quota, stripped of its bindings (owners and Flyte lose access), ' +
          'and its Application stays OutOfSync',
        fix:
          `first set \`decommission: true\` on ${domainOf(change)} in a pull request of its own; ` +
          "remove it in a later one, after the data's retention",
      })),
};

export const namespaceDeleted: RiskRule = {
  id: 'deletion/namespace',
  severity: 'warning',
  description:
    'A Namespace is deleted with everything in it, loses the protection that keeps it, ' +
    'or a Secret or volume is deleted.',
  fix: 'make sure the data owner agreed and the data is kept elsewhere if it must be',
  check: ({ changes }) => [
    ...changes
      .filter((c) => c.action === 'delete' && isNamespace(c) && !isProtected(c.base?.object))
      .map((change) => ({
        change,
        message: `namespace ${change.name} will be deleted with everything in it: pods, Secrets, volumes`,
      })),
    ...changes
      .filter(
        (c) => c.action === 'update' && isNamespace(c) && isProtected(c.base?.object) && !isProtected(c.head?.object),
      )
      .map((change) => ({
        change,
        message:
          `namespace ${change.name} is no longer protected: ` +
          'the pull request that removes it will delete it and its data',
        fix:
          'merge this alone; remove the domain or spec in a later pull request, ' +
          'after the retention the data owner agreed to',
      })),
    ...changes
      .filter((c) => c.action === 'delete' && isKind(c, '', ...dataKinds))
      .map((change) => ({ change, message: `${change.kind} ${change.name} will be deleted with the data it holds` })),
  ],
};
