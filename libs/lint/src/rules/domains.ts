import type { LintRule } from '../rule.js';
import { clustersOf } from '../util.js';

export const domainsAllowed: LintRule = {
  id: 'domains/allowed',
  description: "A spec's domains are domains of every cluster it is on, and the clusters it names exist.",
  fix: 'use the domains and cluster names of platform/clusters/',
  check({ platform, projects }) {
    const names = platform.clusters.map(({ cluster }) => cluster.name);
    return projects.flatMap(({ spec, source, file }) => [
      ...(spec.clusters ?? []).flatMap((name, i) =>
        names.includes(name)
          ? []
          : [
              {
                file,
                ...source.locate(['clusters', i]),
                message: `there is no cluster ${name}`,
                fix: `use one of: ${names.join(', ')}`,
              },
            ],
      ),
      ...clustersOf(platform, spec).flatMap(({ cluster }) =>
        Object.keys(spec.domains ?? {})
          .filter((domain) => !cluster.domains.includes(domain))
          .map((domain) => ({
            file,
            ...source.locate(['domains', domain], 'key'),
            message: `${domain} is not a domain of the cluster ${cluster.name}`,
            fix: `use one of: ${cluster.domains.join(', ')}`,
          })),
      ),
    ]);
  },
};
