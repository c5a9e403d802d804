import { dirname } from 'node:path';
import type { IAppProject } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject';
import type { IApplication } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { externalSecretsOf, type Cluster } from '@flyte-gkp/platform';
import type { ProjectSpec } from '@flyte-gkp/project-spec';
import {
  labels,
  managedBy,
  platformAppProjectName,
  tenantAppProjectName,
  tenantApplicationName,
  type ProjectDomain,
} from './names.js';
import { syncWave } from './tenant.js';

export type Application = IApplication & { apiVersion: 'argoproj.io/v1alpha1'; kind: 'Application' };
export type AppProject = IAppProject & { apiVersion: 'argoproj.io/v1alpha1'; kind: 'AppProject' };

/** Where each part of a cluster's output lives, relative to the repository root. */
export function clusterPaths(cluster: Cluster) {
  const root = `clusters/${cluster.name}`;
  // Everything of one project sits under its own folder, so a change there maps to that project alone.
  const project = (id: string) => `${root}/projects/${id}`;
  return {
    root,
    rootApp: `${root}/root-app.yaml`,
    platform: `${root}/platform`,
    platformApp: `${root}/platform/application.yaml`,
    flyteValues: `${root}/platform/flyte-values.yaml`,
    platformKustomization: `${root}/platform/kustomization.yaml`,
    flyteManifests: `${root}/platform/manifests`,
    /**
     * With the system namespace's manifests, not in the kustomization: an onboarding changes this file
     * alone, and leaves the chart's build input (kustomization, values) as it was (project-registration.ts).
     */
    projectRegistration: `${root}/platform/manifests/project-registration.yaml`,
    project,
    projectApp: (id: string) => `${project(id)}/application.yaml`,
    projectManifests: (id: string) => `${project(id)}/manifests`,
    client: (id: string) => `${project(id)}/client`,
    // What Vault needs for the project's keys: applied by the platform team, never synced by Argo CD.
    vault: (id: string) => `${project(id)}/vault`,
  };
}

/** The files the root Application picks up: every Application and AppProject, nothing else. */
export const applicationFiles = '{platform/application.yaml,projects/*/application.yaml}';

const cascadeDelete = 'resources-finalizer.argocd.argoproj.io';
const automated = { automated: { prune: true, selfHeal: true } };

function argoMeta(cluster: Cluster, name: string, wave: number, extraLabels: Record<string, string> = {}) {
  return {
    name,
    namespace: cluster.argocd.namespace,
    labels: { [labels.appId]: cluster.appId, [labels.managedBy]: managedBy, ...extraLabels },
    annotations: { [syncWave]: String(wave) },
  };
}

/** Argo CD's kinds: all the app of apps may create, and only in Argo CD's namespace. */
const argoCdKinds = [
  { group: 'argoproj.io', kind: 'Application' },
  { group: 'argoproj.io', kind: 'AppProject' },
];

/**
 * The root Application's own AppProject, instead of Argo CD's `default` (any repository, any
 * destination, any kind): should a file the root Application picks up ever hold anything but an
 * Application or AppProject, or aim elsewhere than Argo CD's namespace, Argo CD refuses to sync it.
 */
export function rootAppProject(cluster: Cluster): AppProject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: {
      name: cluster.argocd.rootProject,
      namespace: cluster.argocd.namespace,
      labels: { [labels.appId]: cluster.appId, [labels.managedBy]: managedBy },
      finalizers: [cascadeDelete],
    },
    spec: {
      description: `The app of apps of ${cluster.name}: the Applications and AppProjects of clusters/${cluster.name}/`,
      sourceRepos: [cluster.repo.url],
      destinations: [{ server: cluster.server, namespace: cluster.argocd.namespace }],
      clusterResourceWhitelist: [],
      namespaceResourceWhitelist: argoCdKinds.map((k) => ({ ...k })),
    },
  };
}

/** The app of apps: applied once by hand with its AppProject, it syncs every other Application and AppProject. */
export function rootApplication(cluster: Cluster): Application {
  const paths = clusterPaths(cluster);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    // Tenant Applications are all `<pocName>-<id>`: a root name without that prefix cannot be taken by a spec.
    metadata: {
      name: `${cluster.name}-root`,
      namespace: cluster.argocd.namespace,
      labels: { [labels.appId]: cluster.appId, [labels.managedBy]: managedBy },
    },
    spec: {
      project: cluster.argocd.rootProject,
      source: {
        repoURL: cluster.repo.url,
        targetRevision: cluster.repo.revision,
        path: paths.root,
        directory: { recurse: true, include: applicationFiles },
      },
      destination: { server: cluster.server, namespace: cluster.argocd.namespace },
      syncPolicy: automated,
    },
  };
}

/** Kinds the flyte chart v0.15.0 creates outside its namespace: each one is in the operator guide's table of them. */
const platformClusterKinds = [
  { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
  { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
  { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
  { group: '', kind: 'Namespace' },
];

export function platformAppProject(cluster: Cluster): AppProject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { ...argoMeta(cluster, platformAppProjectName(cluster), -1), finalizers: [cascadeDelete] },
    spec: {
      description: `Flyte ${cluster.flyte.chartVersion} itself, in ${cluster.systemNamespace}`,
      // Only this repository: the chart is pulled by kustomize inside the build of the platform folder.
      sourceRepos: [cluster.repo.url],
      destinations: [{ server: cluster.server, namespace: cluster.systemNamespace }],
      clusterResourceWhitelist: platformClusterKinds.map((k) => ({ ...k })),
    },
  };
}

/**
 * Flyte itself: the platform folder, which Argo CD builds with kustomize (the flyte chart from the
 * mirror, our values, the post-render of platform-kustomization.ts), and the system namespace's manifests.
 */
export function flyteApplication(cluster: Cluster): Application {
  const paths = clusterPaths(cluster);
  const source = (path: string) => ({ repoURL: cluster.repo.url, targetRevision: cluster.repo.revision, path });
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { ...argoMeta(cluster, `${cluster.pocName}-flyte`, 0), finalizers: [cascadeDelete] },
    spec: {
      project: platformAppProjectName(cluster),
      sources: [source(dirname(paths.platformKustomization)), source(paths.flyteManifests)],
      destination: { server: cluster.server, namespace: cluster.systemNamespace },
      syncPolicy: automated,
    },
  };
}

/** Tenant kinds: the AppProject allows these and nothing else, in the project's own namespaces. */
export const tenantNamespacedKinds = [
  { group: '', kind: 'ConfigMap' },
  { group: '', kind: 'LimitRange' },
  { group: '', kind: 'ResourceQuota' },
  { group: '', kind: 'ServiceAccount' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy' },
  { group: 'rbac.authorization.k8s.io', kind: 'Role' },
  { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' },
];

/**
 * The operator's kinds a project's namespaces hold when the cluster syncs its keys from Vault. No ClusterSecretStore.
 */
export const externalSecretsKinds = [
  { group: 'external-secrets.io', kind: 'ExternalSecret' },
  { group: 'external-secrets.io', kind: 'SecretStore' },
];

/** Exactly the kinds a project has on this cluster: the operator's only where it runs. */
export function tenantKinds(cluster: Cluster): { group: string; kind: string }[] {
  return [...tenantNamespacedKinds, ...(externalSecretsOf(cluster) ? externalSecretsKinds : [])];
}

export function tenantAppProject(cluster: Cluster, spec: ProjectSpec, domains: ProjectDomain[]): AppProject {
  const name = tenantAppProjectName(cluster, spec.id);
  const groups = (roles: string[]) =>
    [...new Set(spec.owners.filter((o) => roles.includes(o.role)).map((o) => o.group))].sort();
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    // Deleted on its own (not in the root's ordered prune), it waits until no Application uses it.
    metadata: { ...argoMeta(cluster, name, -1, { [labels.project]: spec.id }), finalizers: [cascadeDelete] },
    spec: {
      description: spec.displayName,
      sourceRepos: [cluster.repo.url],
      destinations: domains.map((d) => ({ server: cluster.server, namespace: d.namespace })),
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
      namespaceResourceWhitelist: tenantKinds(cluster).map((k) => ({ ...k })),
      roles: [
        {
          name: 'owners',
          description: 'see the project in Argo CD',
          groups: groups(['admin', 'edit', 'view']),
          policies: [`p, proj:${name}:owners, applications, get, ${name}/*, allow`],
        },
        {
          name: 'maintainers',
          description: 'sync the project in Argo CD',
          groups: groups(['admin', 'edit']),
          policies: [`p, proj:${name}:maintainers, applications, sync, ${name}/*, allow`],
        },
      ].filter((role) => role.groups.length > 0),
    },
  };
}

export function tenantApplication(cluster: Cluster, spec: ProjectSpec, domains: ProjectDomain[]): Application {
  const name = tenantApplicationName(cluster, spec.id);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { ...argoMeta(cluster, name, 1, { [labels.project]: spec.id }), finalizers: [cascadeDelete] },
    spec: {
      project: tenantAppProjectName(cluster, spec.id),
      source: {
        repoURL: cluster.repo.url,
        targetRevision: cluster.repo.revision,
        path: clusterPaths(cluster).projectManifests(spec.id),
        directory: { recurse: false },
      },
      destination: { server: cluster.server, namespace: domains[0].namespace },
      syncPolicy: { ...automated, syncOptions: ['PruneLast=true'] },
    },
  };
}
