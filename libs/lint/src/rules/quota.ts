import { projectDomains } from '@flyte-gkp/render';
import type { LintRule } from '../rule.js';
import { clustersOf } from '../util.js';

/** Suffix → [power of ten, power of two], as Kubernetes reads a quantity. */
const suffixes = new Map<string, [number, number]>([
  ['', [0, 0]], ['m', [-3, 0]], ['k', [3, 0]], ['M', [6, 0]], ['G', [9, 0]], ['T', [12, 0]], ['P', [15, 0]], ['E', [18, 0]],
  ['Ki', [0, 10]], ['Mi', [0, 20]], ['Gi', [0, 30]], ['Ti', [0, 40]], ['Pi', [0, 50]], ['Ei', [0, 60]],
]);

/**
 * A Kubernetes quantity (`500m`, `4`, `1.5Gi`, `8Gi`) in base units, or undefined when it is none.
 * Computed with a single rounding step, so equal amounts in different units compare equal (`1100m` and `1.1`).
 */
export function parseQuantity(quantity: string | number): number | undefined {
  const match = /^([0-9]+)(?:\.([0-9]+))?([a-zA-Z]*)$/.exec(String(quantity));
  const scale = match ? suffixes.get(match[3]) : undefined;
  if (!match || !scale) return undefined;
  const [, whole, fraction = ''] = match;
  const digits = Number(whole + fraction) * 2 ** scale[1];
  const exponent = scale[0] - fraction.length;
  return exponent >= 0 ? digits * 10 ** exponent : digits / 10 ** -exponent;
}

const resources = ['cpu', 'memory', 'pods'] as const;

/** False when either side is no quantity: that is reported on its own. */
const above = (value: string | number, ceiling: string | number) => (parseQuantity(value) ?? NaN) > (parseQuantity(ceiling) ?? NaN);

export const quotaCeiling: LintRule = {
  id: 'quota/ceiling',
  description: "Every domain quota, and the cluster's default quota, is within the cluster's quota ceiling.",
  fix: 'ask for less, or ask the platform team to raise quota.ceiling',
  check({ platform, projects }) {
    const clusters = platform.clusters.flatMap(({ cluster: { quota }, source }) =>
      resources.flatMap((resource) => {
        const at = (limit: 'default' | 'ceiling') => ({ file: source.file, ...source.locate(['quota', limit, resource]) });
        const unreadable = (['default', 'ceiling'] as const)
          .filter((limit) => parseQuantity(quota[limit][resource]) === undefined)
          .map((limit) => ({ ...at(limit), message: `quota.${limit}.${resource} ${quota[limit][resource]} is not a Kubernetes quantity`, fix: 'write a quantity such as 500m, 4 or 8Gi' }));
        const tooHigh = above(quota.default[resource], quota.ceiling[resource])
          ? [{ ...at('default'), message: `the default ${resource} quota ${quota.default[resource]} is above the ceiling ${quota.ceiling[resource]}`, fix: `lower quota.default.${resource} to at most ${quota.ceiling[resource]}` }]
          : [];
        return [...unreadable, ...tooHigh];
      }),
    );
    // A domain without its own value gets the cluster default, checked above: report what the spec sets.
    const domains = projects.flatMap(({ spec, source, file }) =>
      clustersOf(platform, spec).flatMap(({ cluster }) =>
        projectDomains(cluster, spec).flatMap(({ domain, quota }) =>
          resources
            .filter((resource) => spec.domains?.[domain]?.quota?.[resource] !== undefined && above(quota[resource], cluster.quota.ceiling[resource]))
            .map((resource) => ({
              file,
              ...source.locate(['domains', domain, 'quota', resource]),
              message: `the ${resource} quota ${quota[resource]} of ${domain} is above the ceiling ${cluster.quota.ceiling[resource]} of ${cluster.name}`,
              fix: `ask for at most ${cluster.quota.ceiling[resource]}, or ask the platform team to raise the ceiling`,
            })),
        ),
      ),
    );
    return [...clusters, ...domains];
  },
};
