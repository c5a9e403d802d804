import { DiagnosticError } from '@flyte-gkp/diagnostics';
import { pinsFile, type Cluster, type ImagePin, type Pins } from '@flyte-gkp/platform';
import { namespaceTemplate } from './names.js';

/** The image pin as the flyte chart's `image: {repository, tag}` reads it. */
export function chartImage(pins: Pins, name: string): { repository: string; tag: string; pullPolicy: 'IfNotPresent' } {
  const pin: ImagePin | undefined = pins.images[name];
  if (!pin) {
    throw new DiagnosticError([
      {
        file: pinsFile,
        rule: 'images/pinned',
        message: `no pin for the image \`${name}\``,
        fix: `add images.${name} with a repository and a tag`,
      },
    ]);
  }
  const tag = [pin.tag, pin.digest].filter(Boolean).join('@');
  return { repository: pin.repository, tag, pullPolicy: 'IfNotPresent' };
}

/** The pin as one `repository:tag@digest` string, where the chart takes an image reference. */
export function chartImageReference(pins: Pins, name: string): string {
  const { repository, tag } = chartImage(pins, name);
  return `${repository}:${tag}`;
}

/**
 * The flyte chart v0.15.0 lets a pod be extended only through its annotations: the Vault Agent injector
 * adds an init container that writes Flyte's own Mercury keys as a config file next to the chart's
 * (picked up because `configPath` globs every folder under the config root). No key is in git.
 */
function mercuryKeysFromVault(
  cluster: Cluster,
  pins: Pins,
  configRoot: string,
  container: string,
): Record<string, string> {
  const file = 'mercury.yaml';
  return {
    'vault.hashicorp.com/agent-inject': 'true',
    // Only the container that reads the file mounts it, not the pod's others (redoc beside flyteadmin).
    'vault.hashicorp.com/agent-inject-containers': container,
    'vault.hashicorp.com/agent-pre-populate-only': 'true',
    'vault.hashicorp.com/agent-image': chartImageReference(pins, 'vault-agent'),
    'vault.hashicorp.com/role': cluster.storage.flyteCredentials.vaultRole,
    'vault.hashicorp.com/secret-volume-path': `${configRoot}/mercury`,
    [`vault.hashicorp.com/agent-inject-secret-${file}`]: cluster.storage.flyteCredentials.vaultPath,
    [`vault.hashicorp.com/agent-inject-template-${file}`]: [
      `{{- with secret "${cluster.storage.flyteCredentials.vaultPath}" -}}`,
      'storage:',
      '  connection:',
      '    access-key: {{ .Data.data.access_key }}',
      '    secret-key: {{ .Data.data.secret_key }}',
      '{{- end }}',
      '',
    ].join('\n'),
  };
}

const flyteConfigRoot = '/etc/flyte';

/**
 * flyteadmin's pod annotations: the chart gives them to the pod webhook too (platform-kustomization.ts takes them off).
 */
export function flyteadminPodAnnotations(cluster: Cluster, pins: Pins): Record<string, string> {
  return mercuryKeysFromVault(cluster, pins, flyteConfigRoot, 'flyteadmin');
}

/** Helm values for the `flyte` chart v0.15.0: the whole Flyte configuration of one cluster. */
export function flyteValues(cluster: Cluster, pins: Pins): object {
  const datacatalogConfigRoot = '/etc/datacatalog';
  const adminInCluster = `http://flyteadmin.${cluster.systemNamespace}.svc.cluster.local:80`;
  // Propeller fills in the placeholders itself (flyteplugins tasklog); chart v0.15.0 writes them as they are.
  const logLink =
    `http://${cluster.flyte.dashboardHost}/#/log/{{ .namespace }}/{{ .podName }}/pod` + '?namespace={{ .namespace }}';
  const ingressClass = cluster.flyte.ingressClass ? { 'kubernetes.io/ingress.class': cluster.flyte.ingressClass } : {};
  return {
    flyteadmin: {
      image: chartImage(pins, 'flyteadmin'),
      // No `seed-projects` init container (the chart's default seeds flytesnacks...): a list of projects here
      // would make every onboarding change flyteadmin's pods. The projects come from project-registration.ts.
      initialProjects: [],
      configPath: `${flyteConfigRoot}/*/*.yaml`,
      podAnnotations: flyteadminPodAnnotations(cluster, pins),
    },
    datacatalog: {
      image: chartImage(pins, 'datacatalog'),
      configPath: `${datacatalogConfigRoot}/*/*.yaml`,
      podAnnotations: mercuryKeysFromVault(cluster, pins, datacatalogConfigRoot, 'datacatalog'),
      // The chart's default is NodePort: a port on every node of the cluster.
      service: { type: 'ClusterIP' },
    },
    flytepropeller: {
      image: chartImage(pins, 'flytepropeller'),
      configPath: `${flyteConfigRoot}/*/*.yaml`,
      podAnnotations: mercuryKeysFromVault(cluster, pins, flyteConfigRoot, 'flytepropeller'),
    },
    flyteconsole: { image: chartImage(pins, 'flyteconsole') },
    webhook: { enabled: true },
    // A POC database: the chart's postgres with an emptyDir, trust authentication.
    postgres: { enabled: true, image: chartImage(pins, 'postgres') },
    db: {
      database: { host: 'postgres', port: 5432, dbname: 'postgres', username: 'postgres', options: 'sslmode=disable' },
    },
    redis: { enabled: false },
    minio: { enabled: false },
    contour: { enabled: false },
    // The subchart's condition is `spark.enabled`; `sparkoperator.enabled` only drops the plugin config.
    spark: { enabled: false },
    sparkoperator: { enabled: false },
    pytorchoperator: { enabled: false },
    'kubernetes-dashboard': {
      enabled: true,
      image: {
        repository: chartImage(pins, 'kubernetes-dashboard').repository,
        tag: chartImage(pins, 'kubernetes-dashboard').tag,
      },
      protocolHttp: true,
      extraArgs: ['--enable-skip-login', '--enable-insecure-login', '--disable-settings-authorizer'],
      service: { externalPort: 80 },
      // The host task-log links name (plugins.logs below).
      ingress: { enabled: true, hosts: [cluster.flyte.dashboardHost], annotations: ingressClass },
      // Without it, the chart renders `data: null` (kubeconform -strict refuses it); the name titles the page.
      settings: { clusterName: cluster.name },
      // Its metrics view is off (metricsScraper): no ClusterRole for it.
      rbac: { clusterRoleMetrics: false },
    },
    common: {
      ingress: {
        enabled: true,
        host: cluster.flyte.host,
        tls: { enabled: false },
        annotations: ingressClass,
        // gRPC needs its own Ingress where the controller is told to speak HTTP/2 to flyteadmin (no contour here).
        separateGrpcIngress: true,
        separateGrpcIngressAnnotations: cluster.flyte.grpcIngressAnnotations ?? {},
      },
      flyteNamespaceTemplate: { enabled: false },
    },
    storage: {
      type: 'custom',
      custom: {
        type: 's3',
        container: cluster.storage.metadataBucket,
        connection: {
          endpoint: cluster.storage.endpoint,
          'auth-type': 'accesskey',
          region: cluster.storage.region,
          'disable-ssl': false,
        },
        // Raw outputs go to each project's own bucket, not only to `container`.
        'enable-multicontainer': true,
      },
    },
    configmap: {
      console: { BASE_URL: '/console', CONFIG_DIR: '/etc/flyte/config', DISABLE_AUTH: '1' },
      domain: { domains: cluster.domains.map((d) => ({ id: d, name: d })) },
      adminServer: {
        server: {
          security: {
            secure: false,
            useAuth: false,
            allowCors: true,
            allowedOrigins: [`http://${cluster.flyte.host}`],
          },
        },
        auth: { authorizedUris: [`http://${cluster.flyte.host}`, 'http://flyteadmin:80', adminInCluster] },
        // A chart leftover flyteadmin rejects under strict config validation;
        // null removes it from the chart's defaults.
        flyteadmin: { testing: null },
        namespace_mapping: { template: namespaceTemplate(cluster) },
      },
      core: {
        propeller: {
          'rawoutput-prefix': `s3://${cluster.storage.metadataBucket}/raw/`,
          'leader-election': { 'lock-config-map': { name: 'propeller-leader', namespace: cluster.systemNamespace } },
        },
      },
      k8s: { plugins: { k8s: { 'default-env-vars': [{ FLYTE_AWS_ENDPOINT: cluster.storage.endpoint }] } } },
      resource_manager: { propeller: { resourcemanager: { type: 'noop' } } },
      // The chart's default co-pilot image would otherwise slip past the pin file.
      copilot: { plugins: { k8s: { 'co-pilot': { image: chartImageReference(pins, 'flytecopilot') } } } },
      // `aws` would read inputs and outputs with AWS's endpoints and default credentials, not Mercury's:
      // `none` answers with the data itself (no signed URLs).
      remoteData: { remoteData: { region: cluster.storage.region, scheme: 'none' } },
      task_logs: {
        plugins: {
          logs: { 'kubernetes-enabled': true, 'kubernetes-template-uri': logLink, 'cloudwatch-enabled': false },
        },
      },
    },
    // This repository creates every project namespace and what is in it; flyteadmin must not.
    cluster_resource_manager: { enabled: false },
  };
}
