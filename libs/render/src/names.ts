import type { Cluster, QuotaLimits } from '@flyte-gkp/platform';
import type { DomainSettings, ProjectSpec } from '@flyte-gkp/project-spec';

/** Label keys on every object this repository renders: GKP app id, Flyte project and domain. */
export const labels = {
  appId: 'gkp.io/app-id',
  project: 'flytepoc.gkp.io/project',
  domain: 'flytepoc.gkp.io/domain',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;
export const managedBy = 'flyte-gkp';

/** GKP's `<appid>-<project>-<env>`: Flyte project x in domain d-dev is GKP project flytepoc-x in env d-dev. */
export function namespaceName(cluster: Cluster, projectId: string, domain: string): string {
  return `${cluster.namespacePrefix}${projectId}-${domain}`;
}

/** Flyte's own `namespace_mapping.template`, which must agree with namespaceName. */
export function namespaceTemplate(cluster: Cluster): string {
  return `${cluster.namespacePrefix}{{ project }}-{{ domain }}`;
}

export function tenantAppProjectName(cluster: Cluster, projectId: string): string {
  return `${cluster.pocName}-${projectId}`;
}
export const tenantApplicationName = tenantAppProjectName;
export function platformAppProjectName(cluster: Cluster): string {
  return `${cluster.pocName}-platform`;
}

/** The quota entries that are Kubernetes quantities (the others are counts). */
export const quantityKeys = ['cpu', 'memory', 'ephemeralStorage', 'storage'] as const;
type QuantityKey = (typeof quantityKeys)[number];

export interface ProjectDomain {
  domain: string;
  namespace: string;
  quota: QuotaLimits;
  decommission: boolean;
}

/** The project's domains in the cluster's promotion order, with the cluster's default quota filled in. */
export function projectDomains(cluster: Cluster, spec: ProjectSpec): ProjectDomain[] {
  const chosen: Record<string, DomainSettings> =
    spec.domains ?? Object.fromEntries(cluster.domains.map((d) => [d, {}]));
  const order = (d: string) => (cluster.domains.includes(d) ? cluster.domains.indexOf(d) : cluster.domains.length);
  return Object.keys(chosen)
    .sort((a, b) => order(a) - order(b) || a.localeCompare(b))
    .map((domain) => {
      const settings = chosen[domain];
      const quota = settings.quota ?? {};
      const quantity = (key: QuantityKey) => String(quota[key] ?? cluster.quota.default[key]);
      return {
        domain,
        namespace: namespaceName(cluster, spec.id, domain),
        quota: {
          ...cluster.quota.default,
          ...quota,
          cpu: quantity('cpu'),
          memory: quantity('memory'),
          ephemeralStorage: quantity('ephemeralStorage'),
          storage: quantity('storage'),
        },
        decommission: settings.decommission === true,
      };
    });
}

/** A spec without `clusters` goes to every cluster. */
export function projectOnCluster(spec: ProjectSpec, cluster: Cluster): boolean {
  return spec.clusters === undefined || spec.clusters.includes(cluster.name);
}
