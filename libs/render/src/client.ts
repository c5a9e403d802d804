import type { Cluster, Pins } from '@flyte-gkp/platform';
import type { ProjectSpec } from '@flyte-gkp/project-spec';
import type { ProjectDomain } from './names.js';
import { workflowServiceAccount } from './tenant.js';

/** Where a project's workflows write their outputs: its own bucket, never Flyte's shared one. */
export function rawOutputPrefix(spec: ProjectSpec): string {
  return `s3://${spec.storage.bucket}/flyte-raw/`;
}

/**
 * flytekit configuration for registering and running the project's workflows: the right admin over TLS
 * (the ingress controller ends it; gRPC over plain HTTP/2 is not offered next to HTTP/1 on one port), no
 * authentication (a POC limitation), the project's own raw-output location and service account.
 * Every value comes from a pattern-checked field, so nothing a tenant writes can add INI lines.
 */
export function flytekitConfig(cluster: Cluster, spec: ProjectSpec, domains: ProjectDomain[]): string {
  return [
    `# Flyte project ${spec.id} on ${cluster.name}; domains: ${domains.map((d) => d.domain).join(', ')}.`,
    '# Use it with `pyflyte -c flytekit.config ...` or FLYTE_INTERNAL_CONFIGURATION_PATH.',
    '[platform]',
    `url = ${cluster.flyte.adminEndpoint}`,
    'insecure = False',
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

/** Keys of a project's Mercury Secret: named as flytekit reads them from the environment. */
export const mercurySecretKeys = ['FLYTE_AWS_ACCESS_KEY_ID', 'FLYTE_AWS_SECRET_ACCESS_KEY'] as const;

/**
 * A Python module for the project's tasks. Flyte's pod webhook injects the keys of the Secret named in
 * the spec, looked up in the pod's OWN namespace, as `_FSEC_<GROUP>_<KEY>`; flytekit reads
 * `FLYTE_AWS_*`. The module declares the requests and maps one onto the other. The secret name is
 * pattern-checked (lower-case letters, digits, hyphens), so it cannot break out of the string.
 */
export function mercuryModule(spec: ProjectSpec): string {
  const group = spec.storage.credentialsSecret;
  return [
    `"""Mercury credentials of Flyte project ${spec.id}: the Secret ${group} of the task's own namespace.`,
    '',
    '    from mercury import MERCURY_SECRETS, use_mercury_credentials',
    '    use_mercury_credentials()',
    '',
    '    @task(secret_requests=MERCURY_SECRETS)',
    '    def train(...): ...',
    '"""',
    'import os',
    '',
    'from flytekit import Secret',
    '',
    `GROUP = "${group}"`,
    `KEYS = (${mercurySecretKeys.map((k) => `"${k}"`).join(', ')})`,
    'MERCURY_SECRETS = [Secret(group=GROUP, key=key, mount_requirement=Secret.MountType.ENV_VAR) for key in KEYS]',
    '',
    '',
    'def use_mercury_credentials() -> None:',
    '    """Expose the injected keys under the names flytekit reads (call at import time of the task module)."""',
    '    for key in KEYS:',
    '        injected = f"_FSEC_{GROUP}_{key}".upper()',
    '        if injected in os.environ:',
    '            os.environ.setdefault(key, os.environ[injected])',
    '',
  ].join('\n');
}
