/** The TypeScript shapes of cluster.schema.json and pins.schema.json. */
export interface QuotaLimits {
  cpu: string;
  memory: string;
  pods: number;
}

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
  argocd: { namespace: string; version: string; rootProject: string };
  repo: { url: string; revision: string };
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
  storage: { endpoint: string; region: string; metadataBucket: string; flyteCredentials: { vaultRole: string; vaultPath: string } };
  quota: { default: QuotaLimits; ceiling: QuotaLimits; containerDefaults: { cpu: string; memory: string } };
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
