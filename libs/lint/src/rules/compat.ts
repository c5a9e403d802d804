import type { LintRule } from '../rule.js';
import { namespaceTemplatePath, renderedFlyteValues, valueAt } from '../util.js';

/** What a Flyte release ships: the component tags and Python clients of its README. */
const releases = new Map([
  [
    'flyte-v0.15.0',
    {
      components: new Map([
        ['flyteadmin', 'v0.6.10'],
        ['flytepropeller', 'v0.12.9'],
        ['datacatalog', 'v0.3.5'],
        ['flyteconsole', 'v0.20.1'],
      ]),
      python: { flyteidl: '0.19.7', flytekit: '0.20.0b2' },
    },
  ],
]);

/** Per flyte chart version: the first Kubernetes minor version that removed an API the chart uses. */
const chartKubernetesLimits = new Map([
  [
    'v0.15.0',
    {
      removedIn: '1.22',
      apis:
        'Ingress networking.k8s.io/v1beta1, CustomResourceDefinition apiextensions.k8s.io/v1beta1, ' +
        'ClusterRoleBinding rbac.authorization.k8s.io/v1beta1',
    },
  ],
]);

/** Chart versions a public repository stopped serving: an Application pointing there cannot sync. */
const retiredChartVersions = [
  {
    repo: 'https://flyteorg.github.io/flyte',
    chart: 'flyte',
    versions: ['v0.15.0'],
    why: 'removed from its index on 2022-08-31 (flyteorg/flyte PR #2716, releases with a flyteadmin security issue)',
  },
];

/** flyteadmin v0.6.13 added namespace_mapping.template; older ones ignore it and use <project>-<domain>. */
const templateSince = 'v0.6.13';

/** Compares dotted versions by number, `v` prefix ignored; missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, '').split('.').map(Number);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A semver tag is its own version; a release tag is the component's version in that release. */
function componentVersion(component: string, tag: string | undefined): string | undefined {
  if (tag === undefined) return undefined;
  return /^v\d+\.\d+\.\d+$/.test(tag) ? tag : releases.get(tag)?.components.get(component);
}

export const flyteadminVersion: LintRule = {
  id: 'compat/flyteadmin-version',
  description:
    'The pinned flyteadmin understands the namespace_mapping.template the values use ' +
    `(flyteadmin ${templateSince} or later).`,
  fix: `pin flyteadmin to ${templateSince} or later`,
  check(context) {
    const { pins, pinsSource } = context.platform;
    const users = context.platform.clusters.filter(
      ({ cluster }) => valueAt(renderedFlyteValues(context, cluster)?.value, namespaceTemplatePath) !== undefined,
    );
    const pin = pins.images.flyteadmin;
    // Without a pin nothing renders: the renderer reports that itself.
    if (users.length === 0 || !pin) return [];
    const at = { file: pinsSource.file, ...pinsSource.locate(['images', 'flyteadmin', 'tag']) };
    const version = componentVersion('flyteadmin', pin.tag);
    if (version === undefined) {
      return [
        {
          ...at,
          message: `cannot tell which flyteadmin version the tag ${pin.tag ?? '(none)'} is`,
          fix: `pin flyteadmin with a vX.Y.Z tag, ${templateSince} or later`,
        },
      ];
    }
    if (compareVersions(version, templateSince) >= 0) return [];
    const where = users.map(({ cluster }) => cluster.name).join(', ');
    const named = version === pin.tag ? `flyteadmin ${version}` : `flyteadmin ${pin.tag} (${version})`;
    return [
      {
        ...at,
        message:
          `${named} ignores namespace_mapping.template (used on ${where}): ` +
          'executions would land in <project>-<domain> namespaces',
      },
    ];
  },
};

export const kubernetesVersion: LintRule = {
  id: 'compat/kubernetes-version',
  description: "A cluster's Kubernetes version still serves every API its flyte chart version uses.",
  fix: 'keep the cluster below the Kubernetes version that removed the APIs, or move to a flyte chart that supports it',
  check({ platform }) {
    return platform.clusters.flatMap(({ cluster, source }) => {
      const limit = chartKubernetesLimits.get(cluster.flyte.chartVersion);
      if (!limit) {
        return [
          {
            file: source.file,
            ...source.locate(['flyte', 'chartVersion']),
            message: `cannot tell which Kubernetes versions the flyte chart ${cluster.flyte.chartVersion} supports`,
            fix:
              'use a chart version whose Kubernetes limits the compat rules know (libs/lint/src/rules/compat.ts), ' +
              'or add them there',
          },
        ];
      }
      if (compareVersions(cluster.kubernetesVersion, limit.removedIn) < 0) return [];
      return [
        {
          file: source.file,
          ...source.locate(['kubernetesVersion']),
          message:
            `the flyte chart ${cluster.flyte.chartVersion} uses APIs removed in Kubernetes ${limit.removedIn} ` +
            `(${limit.apis}); this cluster runs ${cluster.kubernetesVersion}`,
        },
      ];
    });
  },
};

export const pythonClients: LintRule = {
  id: 'compat/python-clients',
  description: 'pins.python pins exactly the client packages of the Flyte release (flyteRelease).',
  fix: "pin the release's own client versions",
  check({ platform: { pins, pinsSource } }) {
    const at = (...path: string[]) => ({
      file: pinsSource.file,
      ...pinsSource.locate(path, path.length === 1 ? 'key' : 'value'),
    });
    const release = releases.get(pins.flyteRelease);
    if (!release) {
      return [
        {
          ...at('flyteRelease'),
          message: `cannot tell which client packages the Flyte release ${pins.flyteRelease} ships`,
          fix: `use a release the compat rules know: ${[...releases.keys()].join(', ')}`,
        },
      ];
    }
    return Object.entries(release.python).flatMap(([name, wanted]) => {
      const pinned = pins.python[name];
      if (pinned === wanted) return [];
      return [
        pinned === undefined
          ? {
              ...at('python'),
              message: `${name} is not pinned; ${pins.flyteRelease} speaks ${name} ${wanted}`,
              fix: `add python.${name}: ${wanted}`,
            }
          : {
              ...at('python', name),
              message: `${name} is pinned to ${pinned}, but ${pins.flyteRelease} speaks ${name} ${wanted}`,
              fix: `set python.${name}: ${wanted}`,
            },
      ];
    });
  },
};

export const chartSource: LintRule = {
  id: 'compat/chart-source',
  description:
    "A cluster's flyte chart comes from a repository that still serves its version " +
    '(a mirror the platform team controls).',
  fix:
    "push the chart package to the platform team's mirror and name it in flyte.helmRepo " +
    '(docs/operator-guide.md, Mirroring the flyte chart)',
  check({ platform }) {
    const normalized = (url: string) => url.replace(/\/+$/, '').toLowerCase();
    return platform.clusters.flatMap(({ cluster, source }) => {
      const retired = retiredChartVersions.find(
        (r) =>
          normalized(r.repo) === normalized(cluster.flyte.helmRepo) &&
          r.chart === cluster.flyte.chart &&
          r.versions.includes(cluster.flyte.chartVersion),
      );
      if (!retired) return [];
      const at = { file: source.file, ...source.locate(['flyte', 'helmRepo']) };
      return [
        {
          ...at,
          message:
            `${retired.repo} no longer serves the ${retired.chart} chart ${cluster.flyte.chartVersion}: ` +
            `${retired.why}; Argo CD cannot pull it`,
        },
      ];
    });
  },
};
