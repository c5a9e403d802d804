import { createHash } from 'node:crypto';
import type { Job } from 'kubernetes-types/batch/v1';
import type { ConfigMap, ServiceAccount } from 'kubernetes-types/core/v1';
import type { Cluster, Pins } from '@flyte-gkp/platform';
import type { ProjectSpec } from '@flyte-gkp/project-spec';
import { chartImageReference } from './flyte-values.js';
import { labels, managedBy, projectDomains } from './names.js';
import { flyteComponents } from './network.js';
import { registerProjectsScript } from './registration-script.js';

/**
 * Flyte's projects come from a Job of the platform folder, not from flyteadmin's pod: the chart's
 * `seed-projects` init container made every onboarding change flyteadmin's Deployment (a restart of the
 * console and the admin API for every tenant), named every project after its id and never archived one.
 * The Job registers each spec's project through flyteadmin's own API with its display name and
 * description, and archives those this repository registered that no spec wants any more.
 *
 * The ConfigMap (the projects as JSON, and the program) and the Job are named after a hash of what they
 * hold: Argo CD creates a new Job exactly when what it registers changes, and prunes the old pair; an
 * unchanged render leaves the completed Job alone, so a sync runs nothing.
 */

/** The pod label the NetworkPolicy into flyteadmin admits (network.ts), and the objects' common name. */
export const registrationName = 'flyte-project-registration';
/** The image pin of platform/pins.yaml the Job runs: a plain Python, its standard library is all it uses. */
export const registrationImagePin = 'python';

/** The label flyteadmin keeps on the projects this repository registered: the only ones it ever archives. */
export const flyteProjectLabel = { key: 'managed-by', value: managedBy } as const;

/** What flyteadmin is told about one project. */
export interface RegisteredProject {
  id: string;
  /** Flyte's `name`: the console shows it */
  name: string;
  description: string;
  /** every domain of the spec decommissioned: the project is ARCHIVED (no new executions) */
  archived: boolean;
}

/** A spec as flyteadmin gets it: the fields a change of which runs the Job again (see gate's compare stage). */
export function registeredProject(cluster: Cluster, spec: ProjectSpec): RegisteredProject {
  const domains = projectDomains(cluster, spec);
  return {
    id: spec.id,
    name: spec.displayName,
    description: spec.description ?? '',
    archived: domains.length > 0 && domains.every((d) => d.decommission),
  };
}

const mountPath = '/etc/flyte-project-registration';
/** The file of the registration's ConfigMap that lists the projects (plan reads it: libs/plan). */
export const registrationProjectsFile = 'projects.json';
const files = { projects: registrationProjectsFile, program: 'register_projects.py' };

/** The registration's own pods, labelled like a Flyte component (network.ts admits them by this label). */
const podLabels = flyteComponents[registrationName].labels;

/** How long one run may take: flyteadmin may still be starting (its migrations) when the Job starts. */
const waitForFlyteadminSeconds = 600;
const activeDeadlineSeconds = 1800;
/** Pods that fail (the program exits non-zero) are retried this often, then the Job fails for Argo CD's health. */
const backoffLimit = 3;

function jobSpec(cluster: Cluster, pins: Pins, configMap: string): Job['spec'] {
  return {
    backoffLimit,
    activeDeadlineSeconds,
    template: {
      metadata: { labels: { ...podLabels, [labels.managedBy]: managedBy } },
      spec: {
        serviceAccountName: registrationName,
        automountServiceAccountToken: false,
        restartPolicy: 'Never',
        enableServiceLinks: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 65534,
          runAsGroup: 65534,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        containers: [
          {
            name: 'register',
            image: chartImageReference(pins, registrationImagePin),
            // The projects are read from a file: no text of a spec reaches a shell or an argument.
            command: ['python3', `${mountPath}/${files.program}`, `${mountPath}/${files.projects}`],
            env: [
              {
                name: 'FLYTEADMIN_URL',
                value: `http://flyteadmin.${cluster.systemNamespace}.svc.cluster.local:80`,
              },
              { name: 'WAIT_SECONDS', value: String(waitForFlyteadminSeconds) },
              { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
            ],
            resources: {
              requests: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '16Mi' },
              limits: { cpu: '200m', memory: '128Mi', 'ephemeral-storage': '64Mi' },
            },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              privileged: false,
              capabilities: { drop: ['ALL'] },
            },
            volumeMounts: [{ name: 'registration', mountPath, readOnly: true }],
          },
        ],
        volumes: [{ name: 'registration', configMap: { name: configMap, defaultMode: 0o444 } }],
      },
    },
  };
}

/** A short, stable digest of what the Job runs and registers: its objects' names carry it. */
function contentHash(content: unknown): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 10);
}

/**
 * The ServiceAccount (no Kubernetes permission, no token), the ConfigMap and the Job that make
 * flyteadmin's projects those of `specs` (every spec on the cluster), in apply order.
 */
export function projectRegistration(cluster: Cluster, pins: Pins, specs: ProjectSpec[]): object[] {
  const meta = (name: string) => ({
    name,
    namespace: cluster.systemNamespace,
    labels: { [labels.appId]: cluster.appId, [labels.managedBy]: managedBy, ...podLabels },
  });
  const projects = specs.map((spec) => registeredProject(cluster, spec)).sort((a, b) => a.id.localeCompare(b.id));
  const data = {
    [files.projects]: `${JSON.stringify({ label: flyteProjectLabel, projects }, null, 1)}\n`,
    [files.program]: registerProjectsScript,
  };
  const name = `${registrationName}-${contentHash({ data, job: jobSpec(cluster, pins, registrationName) })}`;
  const serviceAccount: ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(registrationName),
    automountServiceAccountToken: false,
  };
  const configMap: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(name), data };
  const job: Job = { apiVersion: 'batch/v1', kind: 'Job', metadata: meta(name), spec: jobSpec(cluster, pins, name) };
  return [serviceAccount, configMap, job];
}
