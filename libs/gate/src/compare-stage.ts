import { DiagnosticError, type Diagnostic } from '@flyte-gkp/diagnostics';
import type { ChartObject } from '@flyte-gkp/helm';
import { KustomizeBuildError, type Kustomization } from '@flyte-gkp/kustomize';
import {
  diffObjects,
  isVaultFile,
  objectsOfManifest,
  objectsOfVaultFile,
  planObjects,
  projectOfPath,
  riskRules,
  runRisks,
  sourcesOfHeader,
  type Change,
  type FileOrigin,
  type PlanObject,
  type Risk,
} from '@flyte-gkp/plan';
import type { Cluster } from '@flyte-gkp/platform';
import { clusterPaths, labels as labelKeys, type RenderedFile } from '@flyte-gkp/render';
import {
  loadProjectFile,
  parseSource,
  type FileSource,
  type LoadedProject,
  type PathSegment,
} from '@flyte-gkp/project-spec';
import { basename } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { buildChart, clusterScopedKinds, platformFolderOf, type PlatformFolder } from './chart-stage.js';
import { blobId, type GitRepoTree } from './git-tree.js';
import { treeSource } from './read-tree.js';
import type { Loaded } from './workspace.js';

/**
 * Stage 5, "compare with base" (plan, validate --base): what Argo CD applies at the base revision against
 * what it will apply once the change is merged, object by object, and the risks of the difference.
 *
 * The base side is the output committed at the base, read from git's objects: that is what Argo CD
 * applies today (the gate at the base checked it equals a render). A render of the base's specs with
 * this checkout's code would hide a change of the renderer itself, which widens every project at once.
 * The head side is this checkout's fresh render. Only what the change touches is rendered and parsed:
 * a file whose bytes are the same on both sides (same git object id) holds the same objects.
 * The flyte chart is built on both sides only where its input (the platform folder: its kustomization
 * and the values file it names) differs, as the chart stage builds it: equal inputs make equal objects.
 */

/**
 * Where Argo CD reads objects under clusters/<cluster>/ (see clusterPaths and the Applications' paths), and the
 * Vault files the platform team applies.
 */
const appliedFile = new RegExp(
  [
    String.raw`^clusters\/([^/]+)\/(?:root-app\.yaml|platform\/application\.yaml|platform\/manifests\/[^/]+\.yaml|`,
    String.raw`projects\/[^/]+\/(?:application\.yaml|manifests\/[^/]+\.yaml|vault\/(?:policies|roles)\/[^/]+\.json))$`,
  ].join(''),
);
const clusterOf = (path: string) => appliedFile.exec(path)?.[1];

/** What a change touches: every project (the platform changed), or those whose spec or output changed. */
export interface Touched {
  all: boolean;
  projects: Set<string>;
  /** The files no project owns (root Application, platform, Flyte's values) differ, or may. */
  clusterWide: boolean;
}

export const projectOfFile = (path: string) =>
  /^projects\/([^/]+)\.(?:ya?ml|json)$/.exec(path)?.[1] ?? projectOfPath(path) ?? undefined;

/**
 * The projects whose spec or committed output changed since the base (`changed`: git's list, see
 * changedSince). The committed output counts too: a change of the renderer shows there first (the
 * drift check keeps it a fresh render).
 */
export function touchedProjects(changed: readonly string[]): Touched {
  const touched: Touched = {
    all: changed.some((path) => path.startsWith('platform/')),
    projects: new Set(),
    clusterWide: false,
  };
  for (const path of changed) {
    const project = projectOfFile(path);
    if (project !== undefined) touched.projects.add(project);
    else if (path.startsWith('clusters/')) touched.clusterWide = true;
  }
  touched.clusterWide ||= touched.all;
  return touched;
}

/**
 * What of a spec the cluster-wide files hold: its id and clusters, and what the project registration
 * tells flyteadmin (registeredProject in libs/render: name, description, archived when every domain is
 * decommissioned).
 */
const membership = (spec: LoadedProject['spec'] | undefined) =>
  spec &&
  JSON.stringify([
    spec.id,
    spec.clusters ?? null,
    spec.displayName,
    spec.description ?? '',
    Object.entries(spec.domains ?? {}).map(([domain, settings]) => [domain, settings.decommission === true]),
  ]);

/**
 * Whether the files no project owns need rendering: they list every project on a cluster (the project
 * registration), so they change when the platform, a committed one, or what a touched spec registers does.
 * When none did, the specs no change touched need not even be loaded: at 1,000 projects, most of a plan.
 */
export async function clusterWideTouched(
  touched: Touched,
  specFiles: readonly string[],
  base: GitRepoTree,
  head: FileSource,
): Promise<boolean> {
  if (touched.clusterWide) return true;
  const files = specFiles.filter((f) => touched.projects.has(projectOfFile(f)!));
  const baseFiles = [...base.entries.values()]
    .filter(
      (e) => e.type === 'file' && touched.projects.has(projectOfFile(e.path) ?? '') && e.path.startsWith('projects/'),
    )
    .map((e) => e.path);
  if (
    files.length !== touched.projects.size ||
    baseFiles.length !== files.length ||
    baseFiles.some((f) => !files.includes(f))
  )
    return true;
  await base.prefetch(files);
  for (const file of files) {
    const [before, after] = await Promise.all([loadProjectFile(treeSource(base), file), loadProjectFile(head, file)]);
    if (!before.ok || !after.ok || membership(before.value.spec) !== membership(after.value.spec)) return true;
  }
  return false;
}

/** The spec files to render at the head: those of touched projects (by file name or id), or every one. */
export function specsToRender(loaded: Loaded, touched: Touched): Set<string> | undefined {
  if (touched.all) return undefined;
  return new Set(
    loaded.projects
      .filter((p) => touched.projects.has(p.spec.id) || touched.projects.has(projectOfFile(p.file)!))
      .map((p) => p.file),
  );
}

const inScope = (touched: Touched) => (path: string) => {
  const project = projectOfPath(path);
  return touched.all || (project === null ? touched.clusterWide : touched.projects.has(project));
};

function objectsOf(origin: FileOrigin, text: string): PlanObject[] {
  try {
    // Vault's files are applied by the platform team, not Argo CD; a change to one changes who reads what.
    return isVaultFile(origin.file) ? objectsOfVaultFile(origin, text) : objectsOfManifest(origin, text);
  } catch (error) {
    throw new DiagnosticError([
      {
        file: origin.file,
        rule: 'plan/read',
        message:
          `cannot be read as ${isVaultFile(origin.file) ? 'JSON' : 'YAML'}: ` +
          `${(error as Error).message.split('\n')[0]}`,
        fix: 'run `npm run render` at that revision',
      },
    ]);
  }
}

/** What Argo CD builds the chart from on one side: the platform folder, and the provenance of its objects. */
interface ChartInput {
  folder: PlatformFolder;
  /** Its values file's inputs, the provenance of every object the chart makes. */
  sources: string[];
}

interface HelmChartSource {
  repoURL: string;
  chart?: string;
  targetRevision?: string;
  helm?: { releaseName?: string; valueFiles?: string[] };
}

/**
 * A base from before the platform folder (up to 2e52404): the platform Application pulled the chart as a
 * Helm source with `$values/<values file>`. The same chart, version, release and values, as a
 * kustomization without post-render steps, builds the objects Argo CD renders from that source, so a
 * plan across the change shows what it changes, not every object of the chart created anew.
 */
function helmSourceFolder(cluster: Cluster, read: (path: string) => string | undefined): PlatformFolder | undefined {
  const paths = clusterPaths(cluster);
  let documents: unknown[];
  try {
    documents = parseAllDocuments(read(paths.platformApp) ?? '').map((d) => d.toJS() as unknown);
  } catch {
    return undefined;
  }
  const application = documents.find((d) => (d as { kind?: string })?.kind === 'Application') as
    | { metadata?: { name?: string }; spec?: { sources?: HelmChartSource[]; destination?: { namespace?: string } } }
    | undefined;
  const source = application?.spec?.sources?.find((s) => s.chart);
  const values = read(paths.flyteValues);
  if (
    !source?.chart ||
    !source.targetRevision ||
    values === undefined ||
    !source.helm?.valueFiles?.includes(`$values/${paths.flyteValues}`)
  )
    return undefined;
  const kustomization: Kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    helmCharts: [
      {
        name: source.chart,
        repo: /^[a-z]+:\/\//.test(source.repoURL) ? source.repoURL : `oci://${source.repoURL}`,
        version: source.targetRevision,
        releaseName: source.helm.releaseName ?? application?.metadata?.name ?? '',
        namespace: application?.spec?.destination?.namespace ?? cluster.systemNamespace,
        valuesFile: basename(paths.flyteValues),
      },
    ],
  };
  return {
    kustomization,
    files: [
      { path: paths.platformKustomization, content: stringify(kustomization) },
      { path: paths.flyteValues, content: values },
    ],
  };
}

/** The chart's input on one side, from that side's files (`read`: a repository path's text, if a file). */
function chartInput(cluster: Cluster, read: (path: string) => string | undefined): ChartInput | undefined {
  const folder = platformFolderOf(cluster, read) ?? helmSourceFolder(cluster, read);
  if (!folder) return undefined;
  const values = folder.files.find((f) => f.path === clusterPaths(cluster).flyteValues);
  return { folder, sources: values ? sourcesOfHeader(values.content) : [] };
}

const chartKey = (input: ChartInput | undefined) => input && JSON.stringify(input.folder.files);

/**
 * The chart's objects on one side, each filed under its template (helm's `# Source:`) and owned by the
 * platform, as the chart stage builds them: the chart and version the kustomization names, the
 * cluster's Kubernetes version. A namespaced object without a namespace lands in the destination's.
 */
async function chartObjects(
  root: string,
  cluster: Cluster,
  input: ChartInput | undefined,
  side: string,
): Promise<PlanObject[]> {
  if (!input) return [];
  let objects: ChartObject[];
  try {
    objects = (await buildChart(root, cluster, input.folder)).objects;
  } catch (error) {
    if (!(error instanceof KustomizeBuildError)) throw error;
    const message =
      `the ${cluster.flyte.chart} chart does not build ` + `with the platform folder ${side}: ${error.message}`;
    throw new DiagnosticError([
      {
        file: clusterPaths(cluster).flyteValues,
        rule: 'plan/chart',
        message,
        fix: '`npm run validate` at that revision names the value at fault',
      },
    ]);
  }
  return objects.flatMap((o) => {
    const metadata = (o.object.metadata ?? {}) as { namespace?: string };
    const placed =
      metadata.namespace || clusterScopedKinds.has(String(o.object.kind))
        ? o.object
        : { ...o.object, metadata: { ...metadata, namespace: cluster.systemNamespace } };
    return planObjects({ cluster: cluster.name, file: o.source, project: null, sources: input.sources }, [placed]);
  });
}

/** The chart's objects at the base and now, for each cluster where its input differs; none elsewhere. */
async function compareCharts(
  root: string,
  clusters: readonly Cluster[],
  base: GitRepoTree,
  rendered: Map<string, RenderedFile[]>,
) {
  const sides = await Promise.all(
    clusters.map(async (cluster) => {
      const paths = clusterPaths(cluster);
      const head = new Map((rendered.get(cluster.name) ?? []).map((f) => [f.path, f.content]));
      const inputs = [paths.platformKustomization, paths.flyteValues];
      if (inputs.every((path) => head.has(path) && base.oid(path) === blobId(head.get(path)!)))
        return { before: [], after: [] };
      await base.prefetch([...inputs, paths.platformApp]);
      const before = chartInput(cluster, (path) =>
        base.entries.get(path)?.type === 'file' ? base.bytes(path)?.toString('utf8') : undefined,
      );
      const after = chartInput(cluster, (path) => head.get(path));
      if (chartKey(before) === chartKey(after)) return { before: [], after: [] };
      const [b, a] = await Promise.all([
        chartObjects(root, cluster, before, 'at the base'),
        chartObjects(root, cluster, after, 'of this checkout'),
      ]);
      return { before: b, after: a };
    }),
  );
  return { before: sides.flatMap((s) => s.before), after: sides.flatMap((s) => s.after) };
}

export interface Compared {
  changes: Change[];
  risks: Risk[];
}

/** What the chart's render needs: the repository (its helm and chart) and the clusters of the checkout. */
export interface ChartContext {
  root: string;
  clusters: readonly Cluster[];
}

/**
 * The objects of every applied file that differs between the base's committed output and the head's
 * render, within what the change touches, and of the chart where its input differs; then their diff
 * and its risks.
 */
export async function compareWithBase(
  base: GitRepoTree,
  rendered: Map<string, RenderedFile[]>,
  touched: Touched,
  chart: ChartContext,
): Promise<Compared> {
  const scoped = inScope(touched);
  const headFiles = new Map<string, RenderedFile>();
  for (const files of rendered.values())
    for (const f of files) if (clusterOf(f.path) && scoped(f.path)) headFiles.set(f.path, f);
  const baseFiles = [...base.entries.values()]
    .filter((e) => e.type === 'file' && clusterOf(e.path) && scoped(e.path))
    .map((e) => e.path);

  const differ = [...new Set([...baseFiles, ...headFiles.keys()])].filter((path) => {
    const head = headFiles.get(path);
    return !head || base.oid(path) !== blobId(head.content);
  });
  // The chart's two renders (helm) run while our own files are parsed.
  const charts = touched.clusterWide
    ? compareCharts(chart.root, chart.clusters, base, rendered)
    : Promise.resolve({ before: [], after: [] });
  charts.catch(() => undefined); // awaited below; a failure must not surface as unhandled meanwhile
  await base.prefetch(differ);

  const before: PlanObject[] = [];
  const after: PlanObject[] = [];
  for (const path of differ) {
    const head = headFiles.get(path);
    const cluster = clusterOf(path)!;
    const project = projectOfPath(path);
    const baseBytes = base.entries.get(path)?.type === 'file' ? base.bytes(path) : undefined;
    if (baseBytes) {
      const text = baseBytes.toString('utf8');
      before.push(...objectsOf({ cluster, file: path, project, sources: sourcesOfHeader(text) }, text));
    }
    if (head) after.push(...objectsOf({ cluster, file: path, project, sources: head.sources }, head.content));
  }
  const chartSides = await charts;
  before.push(...chartSides.before);
  after.push(...chartSides.after);
  const changes = diffObjects(before, after);
  return { changes, risks: runRisks(riskRules, { changes, base: before, head: after }) };
}

/**
 * Blocking risks as findings of `validate --base`, located where the fix goes: the spec that removed a
 * protected namespace's domain (or, for a spec removed whole, that spec's path at the base).
 */
export function riskDiagnostics(risks: readonly Risk[], base: GitRepoTree, loaded: Loaded): Diagnostic[] {
  return risks
    .filter((r) => r.severity === 'blocking')
    .map((risk) => {
      const spec = risk.change.base?.sources.find((s) => s.startsWith('projects/'));
      const labels = (risk.change.base?.object.metadata as { labels?: Record<string, string> } | undefined)?.labels;
      const located = spec
        ? locateRemoval(spec, labels?.[labelKeys.domain], risk.cluster, base, loaded)
        : { file: risk.change.base?.file ?? risk.cluster, message: '' };
      return { ...located, rule: risk.rule, message: `${located.message}${risk.message}`, fix: risk.fix };
    });
}

/** The head's spec where it still exists (at its `domains` or `clusters`), else the spec as the base had it. */
function locateRemoval(
  spec: string,
  domain: string | undefined,
  cluster: string,
  base: GitRepoTree,
  loaded: Loaded,
): Omit<Diagnostic, 'rule'> {
  const head = loaded.projects.find((p) => p.file === spec);
  if (head) {
    const path: PathSegment[] =
      head.spec.clusters && !head.spec.clusters.includes(cluster) ? ['clusters'] : ['domains'];
    const what =
      path[0] === 'clusters'
        ? `cluster ${cluster} removed from its clusters`
        : `domain ${domain} removed from its domains`;
    return { file: spec, ...head.source.locate(path, 'key'), message: `${what}: ` };
  }
  const text = base.bytes(spec)?.toString('utf8');
  const parsed = text === undefined ? undefined : parseSource(spec, text);
  const at = parsed?.ok ? parsed.source.locate(domain ? ['domains', domain] : [], 'key') : { line: 1, column: 1 };
  return { file: spec, ...at, message: 'the spec was removed (a position in the spec as the base had it): ' };
}
