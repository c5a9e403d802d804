import { projectDomains } from '@flyte-gkp/render';
import type { LintRule } from '../rule.js';
import { clustersOf } from '../util.js';

/**
 * An exact amount in base units (cores, bytes, pods): numerator / denominator, both BigInt, so that no
 * quantity overflows to Infinity or compares as NaN, and `1100m` equals `1.1`.
 */
export interface Quantity {
  numerator: bigint;
  denominator: bigint;
}

/** Suffix → [power of ten, power of two], as k8s.io/apimachinery's resource.Quantity reads it. */
const suffixes = new Map<string, [number, number]>([
  ['n', [-9, 0]],
  ['u', [-6, 0]],
  ['m', [-3, 0]],
  ['', [0, 0]],
  ['k', [3, 0]],
  ['M', [6, 0]],
  ['G', [9, 0]],
  ['T', [12, 0]],
  ['P', [15, 0]],
  ['E', [18, 0]],
  ['Ki', [0, 10]],
  ['Mi', [0, 20]],
  ['Gi', [0, 30]],
  ['Ti', [0, 40]],
  ['Pi', [0, 50]],
  ['Ei', [0, 60]],
]);

/**
 * Kubernetes' grammar: `<sign>?<digits>[.<digits>]` (also `5.` and `.5`) and then a decimal SI suffix,
 * a binary one, or an exponent `e<n>`/`E<n>` (`E` alone is exa).
 */
const grammar = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:([eE][+-]?[0-9]+)|([a-zA-Z]*))$/;

/** Kubernetes caps every quantity at 2^63-1 base units without a word: a larger one is refused instead. */
export const largestQuantity: Quantity = { numerator: 2n ** 63n - 1n, denominator: 1n };

/**
 * Exponents beyond this cannot be compared at a cost worth paying (10^1000 has a thousand digits);
 * a value that large is far beyond largestQuantity anyway, and one that small is rounded to 1n.
 */
const exponentLimit = 1000;

/**
 * A Kubernetes quantity (`500m`, `4`, `1.5Gi`, `8Gi`, `1e3`, `-2`) as an exact amount, or undefined
 * when it is none, or one beyond largestQuantity that Kubernetes would silently change.
 */
export function parseQuantity(quantity: string | number): Quantity | undefined {
  const text = typeof quantity === 'number' ? (Number.isFinite(quantity) ? String(quantity) : '') : quantity;
  const match = grammar.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = '', exponentForm, suffix = ''] = match;
  if (whole === '' && fraction === '') return undefined;
  const scale = exponentForm ? [Number(exponentForm.slice(1)), 0] : suffixes.get(suffix);
  if (!scale || Math.abs(scale[0]) > exponentLimit) return undefined;
  const tens = scale[0] - fraction.length;
  const digits = BigInt(whole + fraction) * 2n ** BigInt(scale[1]);
  const amount = {
    numerator: (sign === '-' ? -digits : digits) * (tens > 0 ? 10n ** BigInt(tens) : 1n),
    denominator: tens < 0 ? 10n ** BigInt(-tens) : 1n,
  };
  return compareQuantities(amount, largestQuantity) > 0 ? undefined : amount;
}

/** -1, 0 or 1 as a is less than, equal to or more than b. */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const left = a.numerator * b.denominator;
  const right = b.numerator * a.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}

const resources = [
  'cpu',
  'memory',
  'pods',
  'ephemeralStorage',
  'persistentVolumeClaims',
  'storage',
  'configMaps',
  'secrets',
  'services',
  'loadBalancers',
  'nodePorts',
] as const;

/** Why a quota value cannot be compared with a ceiling, or undefined when it can. */
function unreadable(value: string | number): string | undefined {
  const amount = parseQuantity(value);
  if (amount === undefined) return `${value} is not a Kubernetes quantity of at most 2^63-1`;
  if (amount.numerator < 0n) return `${value} is negative`;
  return undefined;
}

/** Both sides readable (else reported on its own) and value above ceiling. */
const above = (value: string | number, ceiling: string | number) => {
  const [v, c] = [parseQuantity(value), parseQuantity(ceiling)];
  return v !== undefined && c !== undefined && compareQuantities(v, c) > 0;
};

const quantityFix = 'write a quantity such as 500m, 4 or 8Gi';

export const quotaCeiling: LintRule = {
  id: 'quota/ceiling',
  description: "Every domain quota, and the cluster's default quota, is within the cluster's quota ceiling.",
  fix: 'ask for less, or ask the platform team to raise quota.ceiling',
  check({ platform, projects }) {
    const clusters = platform.clusters.flatMap(({ cluster: { quota }, source }) =>
      resources.flatMap((resource) => {
        const at = (limit: 'default' | 'ceiling') => ({
          file: source.file,
          ...source.locate(['quota', limit, resource]),
        });
        const unreadables = (['default', 'ceiling'] as const).flatMap((limit) => {
          const why = unreadable(quota[limit][resource]);
          return why ? [{ ...at(limit), message: `quota.${limit}.${resource} ${why}`, fix: quantityFix }] : [];
        });
        const tooHigh = above(quota.default[resource], quota.ceiling[resource])
          ? [
              {
                ...at('default'),
                message:
                  `the default ${resource} quota ${quota.default[resource]} ` +
                  `is above the ceiling ${quota.ceiling[resource]}`,
                fix: `lower quota.default.${resource} to at most ${quota.ceiling[resource]}`,
              },
            ]
          : [];
        return [...unreadables, ...tooHigh];
      }),
    );
    // A domain without its own value gets the cluster default, checked above: report what the spec sets.
    const domains = projects.flatMap(({ spec, source, file }) =>
      clustersOf(platform, spec).flatMap(({ cluster }) =>
        projectDomains(cluster, spec).flatMap(({ domain, quota }) =>
          resources
            .filter((resource) => spec.domains?.[domain]?.quota?.[resource] !== undefined)
            .flatMap((resource) => {
              // Located only for a finding: a position costs a parse of a spec the load memo spared it.
              const at = () => ({ file, ...source.locate(['domains', domain, 'quota', resource]) });
              const why = unreadable(quota[resource]);
              if (why) return [{ ...at(), message: `the ${resource} quota of ${domain}: ${why}`, fix: quantityFix }];
              if (!above(quota[resource], cluster.quota.ceiling[resource])) return [];
              return [
                {
                  ...at(),
                  message:
                    `the ${resource} quota ${quota[resource]} of ${domain} ` +
                    `is above the ceiling ${cluster.quota.ceiling[resource]} of ${cluster.name}`,
                  fix:
                    `ask for at most ${cluster.quota.ceiling[resource]}, ` +
                    'or ask the platform team to raise the ceiling',
                },
              ];
            }),
        ),
      ),
    );
    return [...clusters, ...domains];
  },
};

const exposing = ['loadBalancers', 'nodePorts'] as const;

export const quotaNoExposedServices: LintRule = {
  id: 'quota/no-exposed-services',
  description:
    'No cluster quota allows LoadBalancer or NodePort Services: ' +
    'on GKP nothing is exposed but through the ingress controller.',
  fix:
    'set loadBalancers and nodePorts to 0 in quota.default and quota.ceiling, ' +
    'and route the service through the ingress controller',
  check({ platform }) {
    // A spec asking for more than the ceiling's 0 is reported by quota/ceiling.
    return platform.clusters.flatMap(({ cluster: { quota }, source }) =>
      (['default', 'ceiling'] as const).flatMap((limit) =>
        exposing
          .filter((key) => quota[limit][key] !== 0)
          .map((key) => ({
            file: source.file,
            ...source.locate(['quota', limit, key]),
            message:
              `quota.${limit}.${key} is ${quota[limit][key]}: ` + 'a tenant could expose its pods outside the cluster',
          })),
      ),
    );
  },
};

/** Resources a pod asks for per container, defaulted by the LimitRange (containerDefaults). */
const requested = ['cpu', 'memory', 'ephemeralStorage'] as const;

/**
 * How many whole `request`s fit in `quota`, or undefined when either is unreadable
 * (reported by quota/ceiling).
 */
export function fits(quota: string | number, request: string | number): bigint | undefined {
  const [q, r] = [parseQuantity(quota), parseQuantity(request)];
  if (!q || !r || r.numerator <= 0n || q.numerator < 0n) return undefined;
  return (q.numerator * r.denominator) / (q.denominator * r.numerator);
}

export const quotaReachable: LintRule = {
  id: 'quota/reachable',
  description:
    'Every pods quota is reachable: its cpu, memory and ephemeral-storage quotas hold that many pods ' +
    "at the containers' default requests, which are within the per-container maximum.",
  fix: 'lower pods to what the other quotas hold, or raise them',
  check({ platform, projects }) {
    const limitRanges = platform.clusters.flatMap(({ cluster: { quota }, source }) =>
      requested.flatMap((key) => {
        const at = (entry: 'containerDefaults' | 'containerMax') => ({
          file: source.file,
          ...source.locate(['quota', entry, key]),
        });
        const unreadables = (['containerDefaults', 'containerMax'] as const)
          .filter((entry) => unreadable(quota[entry][key]) !== undefined)
          .map((entry) => ({
            ...at(entry),
            message: `quota.${entry}.${key} ${unreadable(quota[entry][key])}`,
            fix: quantityFix,
          }));
        // The API server refuses a LimitRange whose default request is above its maximum.
        const beyondMax = above(quota.containerDefaults[key], quota.containerMax[key])
          ? [
              {
                ...at('containerDefaults'),
                message:
                  `the default ${key} request ${quota.containerDefaults[key]} ` +
                  `is above the per-container maximum ${quota.containerMax[key]}`,
                fix: `lower quota.containerDefaults.${key} to at most ${quota.containerMax[key]}`,
              },
            ]
          : [];
        return [...unreadables, ...beyondMax];
      }),
    );
    const clusterDefaults = platform.clusters.flatMap(({ cluster: { quota }, source }) =>
      requested.flatMap((key) => {
        const most = fits(quota.default[key], quota.containerDefaults[key]);
        if (most === undefined || most >= BigInt(quota.default.pods)) return [];
        return [
          {
            file: source.file,
            ...source.locate(['quota', 'default', 'pods']),
            message:
              `the default pods quota ${quota.default.pods} is unreachable: ` +
              `the default ${key} quota ${quota.default[key]} holds ${most} pods ` +
              `at the default request ${quota.containerDefaults[key]}`,
            fix: `lower quota.default.pods to at most ${most}, or raise quota.default.${key}`,
          },
        ];
      }),
    );
    // What a spec sets: its own pods, or a smaller cpu/memory/storage quota under the cluster's default pods.
    const domains = projects.flatMap(({ spec, source, file }) =>
      clustersOf(platform, spec).flatMap(({ cluster }) =>
        projectDomains(cluster, spec).flatMap(({ domain, quota }) => {
          const own = spec.domains?.[domain]?.quota ?? {};
          return requested.flatMap((key) => {
            if (own.pods === undefined && own[key] === undefined) return [];
            const most = fits(quota[key], cluster.quota.containerDefaults[key]);
            if (most === undefined || most >= BigInt(quota.pods)) return [];
            const reported = own.pods !== undefined ? 'pods' : key;
            return [
              {
                file,
                ...source.locate(['domains', domain, 'quota', reported]),
                message:
                  `the pods quota ${quota.pods} of ${domain} is unreachable: ` +
                  `its ${key} quota ${quota[key]} holds ${most} pods ` +
                  `at the default request ${cluster.quota.containerDefaults[key]} of ${cluster.name}`,
                fix: `set pods to at most ${most}, or ask for more ${key}`,
              },
            ];
          });
        }),
      ),
    );
    return [...limitRanges, ...clusterDefaults, ...domains];
  },
};
