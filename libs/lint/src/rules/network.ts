import type { LintRule } from '../rule.js';

/** The widest range the network section may name: a /16 is a data centre's block, not the Internet. */
const widestPrefix = 16;

/** Why `cidr` is no IPv4 CIDR of at most widestPrefix bits, or undefined when it is one. */
function cidrProblem(cidr: string): string | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match || match.slice(1, 5).some((octet) => Number(octet) > 255) || Number(match[5]) > 32)
    return 'is not an IPv4 CIDR';
  if (Number(match[5]) < widestPrefix)
    return (
      `spans more than a /${widestPrefix}: ` +
      'it would open the NetworkPolicies to most of the network, or the Internet'
    );
  return undefined;
}

export const narrowCidr: LintRule = {
  id: 'network/narrow-cidr',
  description: `Every address range of a cluster's network section is an IPv4 CIDR no wider than a /${widestPrefix}.`,
  fix: "name the service's own addresses (e.g. 10.200.16.0/24), never 0.0.0.0/0",
  check({ platform }) {
    return platform.clusters.flatMap(({ cluster: { network }, source }) =>
      (['apiServer', 'mercury'] as const).flatMap((entry) =>
        network[entry].cidrs.flatMap((cidr, i) => {
          const problem = cidrProblem(cidr);
          return problem
            ? [
                {
                  file: source.file,
                  ...source.locate(['network', entry, 'cidrs', i]),
                  message: `network.${entry} ${cidr} ${problem}`,
                },
              ]
            : [];
        }),
      ),
    );
  },
};

const namespaceName = 'kubernetes.io/metadata.name';

export const peerNamespace: LintRule = {
  id: 'network/peer-namespace',
  description:
    `The DNS and ingress-controller peers each name one namespace by ${namespaceName}, ` +
    "neither Flyte's nor a project's.",
  fix: `select the namespace by its name (${namespaceName}: <namespace>), the one where the service runs`,
  check({ platform }) {
    return platform.clusters.flatMap(({ cluster, source }) =>
      (['dns', 'ingressController'] as const).flatMap((entry) => {
        const name = cluster.network[entry].namespaceLabels[namespaceName];
        const at = { file: source.file, ...source.locate(['network', entry, 'namespaceLabels']) };
        if (name === undefined)
          return [
            {
              ...at,
              message:
                `network.${entry} selects namespaces by labels other than their name: ` +
                "any namespace carrying them, a project's too, would be let through",
            },
          ];
        if (name === cluster.systemNamespace || name.startsWith(cluster.namespacePrefix)) {
          return [
            {
              ...at,
              message:
                `network.${entry} names ${name}, a namespace of Flyte or of its projects: ` +
                `its pods would be let through as ${entry}`,
            },
          ];
        }
        return [];
      }),
    );
  },
};
