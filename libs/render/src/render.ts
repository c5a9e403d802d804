import { basename } from 'node:path';
import { externalSecretsOf, type Cluster, type LoadedCluster, type Pins } from '@flyte-gkp/platform';
import { clustersDir, pinsFile } from '@flyte-gkp/platform';
import type { LoadedProject } from '@flyte-gkp/project-spec';
import {
  clusterPaths,
  flyteApplication,
  platformAppProject,
  rootAppProject,
  rootApplication,
  tenantAppProject,
  tenantApplication,
} from './argocd.js';
import { flytekitConfig, mercuryModule, pipConstraints } from './client.js';
import { vaultFilePath, vaultNames, vaultPolicy, vaultRole } from './credentials.js';
import { flyteadminPodAnnotations, flyteValues } from './flyte-values.js';
import { platformKustomization } from './platform-kustomization.js';
import { projectRegistration } from './project-registration.js';
import { labels, managedBy, projectDomains, projectOnCluster, type ProjectDomain } from './names.js';
import { systemNetworkPolicies } from './network.js';
import { header, toYamlDocuments, type SerializationMemo } from './serialize.js';
import { keepNamespace, syncOptions, syncWave, tenantNamespaceObjects } from './tenant.js';

export interface RenderedFile {
  /** Repository-relative path under clusters/<cluster>/. */
  path: string;
  /**
   * Kubernetes manifests go to kubeconform; the platform's kustomization and Helm values (what Argo CD
   * builds the chart from: the chart stage checks the result), client files and Vault's files do not.
   */
  type: 'manifest' | 'kustomization' | 'helm-values' | 'client' | 'vault';
  /** The spec the file belongs to; undefined for a cluster-wide file. */
  project?: string;
  /** Files it was rendered from, repository-relative. */
  sources: string[];
  /** The typed objects the file holds (manifests, Helm values), for lint rules. */
  objects: object[];
  content: string;
}

export interface ProjectInput extends LoadedProject {
  /** Repository-relative path of the spec file. */
  file: string;
}

export interface RenderOptions {
  /** Spec files: the per-project files of those specs only, for a check of one change. */
  only?: ReadonlySet<string>;
  /** Texts written before for the same objects (see SerializationMemo). */
  memo?: SerializationMemo;
  /**
   * The texts of projects' files, by a key naming everything a project's files on a cluster are rendered
   * from: its spec and file, the cluster, the pins and the code. With it a text is found without writing
   * the objects out as JSON to look it up. A project's files depend on nothing else (render.spec.ts holds
   * it so). A memo of its own: its keys change with the code, the others' with the objects alone.
   */
  projectTexts?: {
    memo: SerializationMemo;
    key: (cluster: LoadedCluster, project: ProjectInput) => string | undefined;
  };
}

function manifest(
  path: string,
  sources: string[],
  objects: object[],
  memo: SerializationMemo | undefined,
  project?: { id: string; texts?: { memo: SerializationMemo; key: string } },
): RenderedFile {
  const byKey = project?.texts;
  return {
    path,
    type: 'manifest',
    project: project?.id,
    sources,
    objects,
    content:
      header(sources) +
      (byKey ? toYamlDocuments(objects, byKey.memo, `${byKey.key}\0${path}`) : toYamlDocuments(objects, memo)),
  };
}

/** The Flyte values: the platform files alone (no project in them, so an onboarding never changes Flyte's pods). */
function valuesFile(
  path: string,
  platformSources: string[],
  values: object,
  memo: SerializationMemo | undefined,
): RenderedFile {
  const content = header(platformSources) + toYamlDocuments([values], memo);
  return { path, type: 'helm-values', sources: platformSources, objects: [values], content };
}

/** What Argo CD builds the chart from: the kustomization next to the values file it names. */
function kustomizationFile(
  path: string,
  platformSources: string[],
  kustomization: object,
  memo: SerializationMemo | undefined,
): RenderedFile {
  return {
    path,
    type: 'kustomization',
    sources: platformSources,
    objects: [kustomization],
    content: header(platformSources) + toYamlDocuments([kustomization], memo),
  };
}

/**
 * What Vault needs for a project's keys, as JSON bodies the platform team applies (operator guide): one read
 * policy for the project's path, and per namespace a Kubernetes-auth role bound to its ServiceAccount.
 * JSON has no comment for a header; the folder's place under clusters/ says it is rendered.
 */
function vaultFiles(
  cluster: Cluster,
  project: ProjectInput,
  domains: ProjectDomain[],
  sources: string[],
): RenderedFile[] {
  const settings = externalSecretsOf(cluster);
  if (!settings) return [];
  const { spec } = project;
  const folder = clusterPaths(cluster).vault(spec.id);
  const vaultFile = (path: string, body: object): RenderedFile => ({
    path,
    type: 'vault',
    project: spec.id,
    sources,
    // No Kubernetes object: the lint rule secrets/vault parses the text, what the platform team applies.
    objects: [],
    content: `${JSON.stringify(body, null, 2)}\n`,
  });
  const names = domains.map((d) => ({ d, names: vaultNames(settings.vault, spec.id, d.domain) }));
  // One path per project: the policy is the same for every domain.
  const policies = new Map(names.map(({ names }) => [names.policy, vaultPolicy(names)]));
  return [
    ...[...policies].map(([name, policy]) => vaultFile(vaultFilePath(folder, 'policy', name), policy)),
    ...names.map(({ d, names }) =>
      vaultFile(vaultFilePath(folder, 'role', names.role), vaultRole(settings.vault, names, d.namespace)),
    ),
  ];
}

/** The Flyte system namespace: created and protected like every project namespace. */
function systemNamespace(cluster: Cluster): object {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: cluster.systemNamespace,
      labels: { [labels.appId]: cluster.appId, [labels.managedBy]: managedBy },
      annotations: { [syncWave]: '-2', [syncOptions]: keepNamespace },
    },
  };
}

/** The NetworkPolicies of the system namespace: only the flows Flyte needs get in (see network.ts). */
function systemNetwork(cluster: Cluster): object[] {
  return systemNetworkPolicies(cluster, (name) => ({
    name,
    namespace: cluster.systemNamespace,
    labels: { [labels.appId]: cluster.appId, [labels.managedBy]: managedBy },
  }));
}

/**
 * Everything under clusters/<cluster>/ for the projects on that cluster, sorted by path. Pure: the same
 * inputs give the same files, byte for byte. `only` (spec files) limits the per-project files to those
 * specs, for a check of one change; the cluster-wide files always list every project.
 */
export function renderCluster(
  loaded: LoadedCluster,
  pins: Pins,
  projects: ProjectInput[],
  { only, memo, projectTexts }: RenderOptions = {},
): RenderedFile[] {
  const { cluster } = loaded;
  const paths = clusterPaths(cluster);
  const clusterFile = `${clustersDir}/${loaded.source.file.split('/').pop()}`;
  const onCluster = projects
    .filter((p) => projectOnCluster(p.spec, cluster))
    .sort((a, b) => a.spec.id.localeCompare(b.spec.id));
  const platformSources = [clusterFile, pinsFile];

  const files: RenderedFile[] = [
    // The AppProject first: `kubectl apply -f` creates it before the Application that names it.
    manifest(paths.rootApp, [clusterFile], [rootAppProject(cluster), rootApplication(cluster)], memo),
    manifest(paths.platformApp, platformSources, [platformAppProject(cluster), flyteApplication(cluster)], memo),
    manifest(`${paths.flyteManifests}/namespace.yaml`, [clusterFile], [systemNamespace(cluster)], memo),
    manifest(`${paths.flyteManifests}/network-policies.yaml`, [clusterFile], systemNetwork(cluster), memo),
    valuesFile(paths.flyteValues, platformSources, flyteValues(cluster, pins), memo),
    kustomizationFile(
      paths.platformKustomization,
      platformSources,
      platformKustomization(cluster, pins, {
        valuesFile: basename(paths.flyteValues),
        flyteadminPodAnnotations: flyteadminPodAnnotations(cluster, pins),
      }),
      memo,
    ),
    // Every spec on the cluster: a project added, removed, renamed or decommissioned changes this file only.
    manifest(
      paths.projectRegistration,
      [...platformSources, 'every spec under projects/ on this cluster'],
      projectRegistration(
        cluster,
        pins,
        onCluster.map((p) => p.spec),
      ),
      memo,
    ),
  ];

  for (const project of onCluster.filter((p) => !only || only.has(p.file))) {
    const { spec } = project;
    const domains = projectDomains(cluster, spec);
    const sources = [project.file, clusterFile];
    const textsKey = projectTexts?.key(loaded, project);
    const ofProject = {
      id: spec.id,
      texts: projectTexts && textsKey !== undefined ? { memo: projectTexts.memo, key: textsKey } : undefined,
    };
    files.push(
      manifest(
        paths.projectApp(spec.id),
        sources,
        [tenantAppProject(cluster, spec, domains), tenantApplication(cluster, spec, domains)],
        memo,
        ofProject,
      ),
    );
    for (const d of domains) {
      files.push(
        manifest(
          `${paths.projectManifests(spec.id)}/${d.domain}.yaml`,
          sources,
          tenantNamespaceObjects(cluster, spec, d),
          memo,
          ofProject,
        ),
      );
    }
    files.push(...vaultFiles(cluster, project, domains, sources));
    const client = paths.client(spec.id);
    files.push({
      path: `${client}/flytekit.config`,
      type: 'client',
      project: spec.id,
      sources,
      objects: [],
      content: header(sources) + flytekitConfig(cluster, spec, domains),
    });
    files.push({
      path: `${client}/mercury.py`,
      type: 'client',
      project: spec.id,
      sources,
      objects: [],
      content: header(sources) + mercuryModule(spec),
    });
    files.push({
      path: `${client}/constraints.txt`,
      type: 'client',
      project: spec.id,
      sources: [pinsFile],
      objects: [],
      content: header([pinsFile]) + pipConstraints(pins),
    });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
