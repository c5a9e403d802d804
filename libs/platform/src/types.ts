/** The TypeScript shapes of cluster.schema.json and pins.schema.json. */
/** A namespace's ResourceQuota: quantities as Kubernetes writes them, counts as numbers. */
export interface QuotaLimits {
  cpu: string;
  memory: string;
  pods: number;
  ephemeralStorage: string;
  persistentVolumeClaims: number;
  storage: string;
  configMaps: number;
  secrets: number;
  services: number;
  loadBalancers: number;
  nodePorts: number;
}

/** Per container: the requests it gets when it sets none, or the most it may use. */
export interface ContainerResources {
  cpu: string;
  memory: string;
  ephemeralStorage: string;
}

export interface PortSpec {
  protocol: 'TCP' | 'UDP';
  port: number;
}

/** Pods chosen by the labels of their namespace and, optionally, their own. */
export interface PeerSelector {
  namespaceLabels: Record<string, string>;
  podLabels?: Record<string, string>;
}

/** Every destination outside their own namespace that the rendered NetworkPolicies let pods reach. */
export interface ClusterNetwork {
  dns: PeerSelector & { ports: PortSpec[] };
  ingressController: PeerSelector;
  apiServer: { cidrs: string[] };
  mercury: { cidrs: string[]; ports: PortSpec[] };
}

/** Where each project's keys live in Vault and how one namespace logs in: templates of {project} and {domain}. */
export interface VaultSettings {
  server: string;
  kubernetesAuthPath: string;
  audience: string;
  path: string;
  policy: string;
  role: string;
}

/** How each project's Mercury keys reach its namespaces (cluster.schema.json: projectCredentials). */
export type ProjectCredentials =
  | { source: 'manual' }
  | { source: 'external-secrets'; externalSecrets: { version: string }; refreshInterval: string; vault: VaultSettings };

export interface Cluster {
  name: string;
  appId: string;
  pocName: string;
  env: string;
  namespacePrefix: string;
  systemNamespace: string;
  domains: string[];
  kubernetesVersion: string;
  server: string;
  reservedNamespaces: string[];
  reservedProjectIds: string[];
  /** Patterns every owner group of a spec on this cluster matches (a trailing * matches a prefix). */
  ownerGroups?: string[];
  argocd: { namespace: string; version: string; rootProject: string };
  /** `platformTeam`: the GitHub team `@org/team` that owns .github/CODEOWNERS' default and the gate. */
  repo: { url: string; revision: string; platformTeam?: string };
  flyte: {
    chart: string;
    chartVersion: string;
    helmRepo: string;
    host: string;
    dashboardHost: string;
    adminEndpoint: string;
    ingressClass?: string;
    grpcIngressAnnotations?: Record<string, string>;
  };
  storage: {
    endpoint: string;
    region: string;
    metadataBucket: string;
    flyteCredentials: { vaultRole: string; vaultPath: string };
  };
  quota: {
    default: QuotaLimits;
    ceiling: QuotaLimits;
    containerDefaults: ContainerResources;
    containerMax: ContainerResources;
  };
  network: ClusterNetwork;
  /** Absent: `manual`. */
  projectCredentials?: ProjectCredentials;
}

/** The operator's settings when the cluster syncs project keys from Vault, else undefined (the manual fallback). */
export function externalSecretsOf(cluster: Cluster) {
  const credentials = cluster.projectCredentials;
  return credentials?.source === 'external-secrets' ? credentials : undefined;
}

export interface ImagePin {
  repository: string;
  tag?: string;
  digest?: string;
  why?: string;
}

export interface Pins {
  flyteRelease: string;
  allowedRegistries: string[];
  images: Record<string, ImagePin>;
  python: Record<string, string>;
}

/** `repository:tag@digest` as a container runtime reads it. */
export function imageReference(pin: ImagePin): string {
  return `${pin.repository}${pin.tag ? `:${pin.tag}` : ''}${pin.digest ? `@${pin.digest}` : ''}`;
}
