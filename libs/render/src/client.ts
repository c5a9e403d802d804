import type { Cluster, Pins } from '@flyte-gkp/platform';
import type { ProjectSpec } from '@flyte-gkp/spec';
import type { ProjectDomain } from './names.js';
import { workflowServiceAccount } from './tenant.js';

/** Where a project's workflows write their outputs: its own bucket, never Flyte's shared one. */
export function rawOutputPrefix(spec: ProjectSpec): string {
  return `s3://${spec.storage.bucket}/flyte-raw/`;
}

/**
 * flytekit configuration for registering and running the project's workflows: the right admin, no TLS
 * and no authentication (a POC limitation), the project's own raw-output location and service account.
 * Every value comes from a pattern-checked field, so nothing a tenant writes can add INI lines.
 */
export function flytekitConfig(cluster: Cluster, spec: ProjectSpec, domains: ProjectDomain[]): string {
  return [
    `# Flyte project ${spec.id} on ${cluster.name}; domains: ${domains.map((d) => d.domain).join(', ')}.`,
    '# Use it with `pyflyte -c flytekit.config ...` or FLYTE_INTERNAL_CONFIGURATION_PATH.',
    '[platform]',
    `url = ${cluster.flyte.adminEndpoint}`,
    'insecure = True',
    '',
    '[auth]',
    `raw_output_data_prefix = ${rawOutputPrefix(spec)}`,
    `kubernetes_service_account = ${workflowServiceAccount}`,
    '',
    '[aws]',
    `endpoint = ${cluster.storage.endpoint}`,
    `# Keys: the Secret ${spec.storage.credentialsSecret} in each of the project's namespaces, never this file.`,
    '',
  ].join('\n');
}

/** `pip install -c constraints.txt flytekit`: the client versions this Flyte release speaks. */
export function pipConstraints(pins: Pins): string {
  return Object.entries(pins.python)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, version]) => `${name}==${version}`)
    .join('\n')
    .concat('\n');
}
