import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { DeploymentSpec } from 'kubernetes-types/apps/v1';
import type { CronJobSpec } from 'kubernetes-types/batch/v1';
import type { PodSpec } from 'kubernetes-types/core/v1';
import { basename, dirname, join } from 'node:path';
import { isMap, isScalar, LineCounter, parse, parseDocument } from 'yaml';
import type { Diagnostic } from '@flyte-gkp/diagnostics';
import { chartFolder, type ChartObject } from '@flyte-gkp/helm';
import {
  buildChartFolder,
  inflatedChart,
  KustomizeBuildError,
  kustomizeSettings,
  type ChartBuild,
  type Kustomization,
} from '@flyte-gkp/kustomize';
import type { ResourceVerdict } from '@flyte-gkp/kubeconform';
import { imageReference, type Cluster, type Pins } from '@flyte-gkp/platform';
import { chartImageOverrides, clusterPaths, type RenderedFile } from '@flyte-gkp/render';
import { clusterScopedExceptions, schemaExceptions } from './chart-exceptions.js';
import { openChartVerdictCache } from './chart-verdict-cache.js';
import { kubeconformOnDisk } from './kubeconform-stage.js';

/**
 * Check stage "chart": what Argo CD renders itself. The platform folder (its kustomization: the flyte
 * chart, our values, the post-render steps) is built by the real kustomize and helm exactly as Argo CD
 * builds it (`kustomize build --enable-helm`, the cluster's Kubernetes version), and every object is
 * checked like our own manifests: kubeconform -strict, images pinned, the system namespace, no node or
 * load-balancer ports, and the cluster-scoped objects exactly those of chart-exceptions.ts. Findings
 * are filed at the values file a change would go to, and name the chart template (helm's `# Source:`)
 * and, where known, the value.
 */

const rule = {
  render: 'chart/render',
  schema: 'chart/kubeconform',
  image: 'chart/image',
  namespace: 'chart/namespace',
  service: 'chart/service-type',
  clusterScoped: 'chart/cluster-scoped',
  exception: 'chart/stale-exception',
};

/** Kinds the API server keeps outside namespaces (those a chart can plausibly render). */
export const clusterScopedKinds = new Set([
  'APIService',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Namespace',
  'PersistentVolume',
  'PodSecurityPolicy',
  'PriorityClass',
  'RuntimeClass',
  'StorageClass',
  'ValidatingWebhookConfiguration',
]);

/** Where a chart template takes a value from: known for the templates our values reach. */
const valueHints: { template: string; path: RegExp; value: string[] }[] = [
  {
    template: 'flyte/templates/admin/deployment.yaml',
    path: /\/initContainers\/\d+\/command\/\d+$/,
    value: ['flyteadmin', 'initialProjects'],
  },
  {
    template: 'flyte/templates/datacatalog/service.yaml',
    path: /^\/spec\/type$/,
    value: ['datacatalog', 'service', 'type'],
  },
  { template: 'flyte/templates/admin/service.yaml', path: /^\/spec\/type$/, value: ['flyteadmin', 'service', 'type'] },
  {
    template: 'flyte/templates/console/service.yaml',
    path: /^\/spec\/type$/,
    value: ['flyteconsole', 'service', 'type'],
  },
];

interface Meta {
  name?: string;
  namespace?: string;
  annotations?: Record<string, string>;
}
const metaOf = (o: ChartObject) => (o.object.metadata ?? {}) as Meta;
const describe = (o: ChartObject) => `${String(o.object.kind)} ${metaOf(o).name} (${o.source})`;

/** The platform folder on one side: its kustomization and the files it reads, by repository path. */
export interface PlatformFolder {
  kustomization: Kustomization;
  files: { path: string; content: string }[];
}

/**
 * The platform folder of a cluster from one side's files (`read`: a repository path's text, if a file);
 * undefined when there is no kustomization or it is not YAML (the drift check names that file).
 */
export function platformFolderOf(
  cluster: Cluster,
  read: (path: string) => string | undefined,
): PlatformFolder | undefined {
  const path = clusterPaths(cluster).platformKustomization;
  const text = read(path);
  if (text === undefined) return undefined;
  let kustomization: Kustomization | undefined;
  try {
    kustomization = parse(text) as Kustomization | undefined;
  } catch {
    return undefined;
  }
  if (!Array.isArray(kustomization?.helmCharts) || !kustomization.helmCharts.length) return undefined;
  // Only a file beside the kustomization: kustomize refuses any other (its load restrictor).
  const named = [
    ...kustomization.helmCharts.map((chart) => chart.valuesFile),
    ...(Array.isArray(kustomization.resources) ? kustomization.resources : []),
  ].filter((file) => typeof file === 'string' && basename(file) === file);
  const files = [
    { path, content: text },
    ...named.flatMap((file) => {
      const content = read(join(dirname(path), file));
      return content === undefined ? [] : [{ path: join(dirname(path), file), content }];
    }),
  ];
  return { kustomization, files };
}

/**
 * The chart as Argo CD builds it for the cluster: the platform folder's files go to a scratch folder,
 * the chart is the one `npm run setup` installs for the version the kustomization names.
 */
export function buildChart(root: string, cluster: Cluster, folder: PlatformFolder): Promise<ChartBuild> {
  const chart = inflatedChart(folder.kustomization);
  return buildChartFolder(
    {
      files: folder.files.map((f) => ({ name: basename(f.path), content: f.content })),
      kubeVersion: cluster.kubernetesVersion,
      chartDir: chartFolder(root, chart.name, chart.version),
    },
    kustomizeSettings(root),
  );
}

/** Line and column of a value's key in the values file (of its closest parent that is set there). */
function valueLocation(values: RenderedFile | undefined, path: string[]): { line?: number; column?: number } {
  if (!values) return {};
  const lineCounter = new LineCounter();
  let node: unknown = parseDocument(values.content, { lineCounter }).contents;
  let offset: number | undefined;
  for (const segment of path) {
    const pair = isMap(node) ? node.items.find((item) => isScalar(item.key) && item.key.value === segment) : undefined;
    if (!pair || !isScalar(pair.key) || !pair.key.range) break;
    offset = pair.key.range[0];
    node = pair.value;
  }
  if (offset === undefined) return {};
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function hint(values: RenderedFile | undefined, template: string, pointer: string) {
  const known = valueHints.find((h) => h.template === template && h.path.test(pointer));
  return known
    ? { where: `, from the value ${known.value.join('.')}`, ...valueLocation(values, known.value) }
    : { where: '' };
}

/** Every container image of a pod template, with the container's name, and the Vault agent's. */
function imagesOf(object: Record<string, unknown>): { container: string; image: string }[] {
  // The chart's objects are read as plain values: the kinds with a pod template, read through their types.
  const spec = object.spec as (DeploymentSpec & CronJobSpec & PodSpec) | undefined;
  const template = spec?.template ?? spec?.jobTemplate?.spec?.template;
  const podSpec = template?.spec ?? (object.kind === 'Pod' ? spec : undefined);
  if (!podSpec) return [];
  const containers = [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])].map((c) => ({
    container: c.name,
    image: c.image ?? '',
  }));
  const agent = template?.metadata?.annotations?.['vault.hashicorp.com/agent-image'];
  return agent ? [...containers, { container: 'vault-agent (annotation)', image: agent }] : containers;
}

export interface ChartCheck {
  diagnostics: Diagnostic[];
  /** What was rendered, for reports and tests: none when the verdict was known (chart-verdict-cache.ts). */
  objects: ChartObject[];
}

/**
 * Runs the chart stage for one cluster: build the platform folder with kustomize, then every check on its
 * objects; an input that passed before passes without a build, unless `verdictCache` is false.
 */
export async function checkChart(
  root: string,
  cluster: Cluster,
  pins: Pins,
  rendered: RenderedFile[],
  { verdictCache = true }: { verdictCache?: boolean } = {},
): Promise<ChartCheck> {
  const paths = clusterPaths(cluster);
  const values = rendered.find((f) => f.path === paths.flyteValues);
  const at = (
    message: string,
    ruleId: string,
    fix: string,
    position: { line?: number; column?: number } = {},
  ): Diagnostic => ({ file: paths.flyteValues, ...position, rule: ruleId, message, fix });
  const folder = platformFolderOf(cluster, (path) => rendered.find((f) => f.path === path)?.content);
  if (!folder)
    return {
      diagnostics: [
        {
          ...at(
            `no kustomization that inflates the ${cluster.flyte.chart} chart was rendered`,
            rule.render,
            'render again; if it persists, the renderer is at fault (libs/render)',
          ),
          file: paths.platformKustomization,
        },
      ],
      objects: [],
    };

  const cache = verdictCache
    ? openChartVerdictCache({
        root,
        cluster,
        pins,
        ...folder,
        checks: {
          modules: [import.meta.url],
          data: [schemaExceptions, clusterScopedExceptions, chartImageOverrides, [...clusterScopedKinds], valueHints],
        },
      })
    : undefined;
  if (cache?.passed) return { diagnostics: [], objects: [] };
  let build: ChartBuild;
  try {
    build = await buildChart(root, cluster, folder);
  } catch (error) {
    if (!(error instanceof KustomizeBuildError)) throw error;
    const message =
      `kustomize cannot build the ${cluster.flyte.chart} chart ${cluster.flyte.chartVersion} ` +
      `with these values and post-render steps: ${error.message}`;
    return {
      diagnostics: [
        at(
          message,
          rule.render,
          'fix the value or the step named, in libs/render/src/flyte-values.ts, ' +
            'platform-kustomization.ts or the platform input they come from',
        ),
      ],
      objects: [],
    };
  }
  const { objects } = build;
  const scratch = await mkdtemp(join(tmpdir(), 'flyte-gkp-chart-'));
  try {
    const files = objects.map((o, i) => ({ path: `chart/${String(i).padStart(4, '0')}.yaml`, content: o.text }));
    await mkdir(join(scratch, 'chart'));
    await Promise.all(files.map((f) => writeFile(join(scratch, f.path), f.content)));
    const verdicts = await kubeconformOnDisk(root, cluster, scratch, files);
    const diagnostics = [
      ...schemaFindings(verdicts, objects, files, values, at),
      ...imageFindings(build, pins, at),
      ...placementFindings(objects, cluster, values, at),
      ...clusterScopedFindings(objects, at),
    ];
    if (diagnostics.length === 0) await cache?.rememberPass();
    return { diagnostics, objects };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

type At = (message: string, ruleId: string, fix: string, position?: { line?: number; column?: number }) => Diagnostic;

function schemaFindings(
  verdicts: ResourceVerdict[],
  objects: ChartObject[],
  files: { path: string }[],
  values: RenderedFile | undefined,
  at: At,
): Diagnostic[] {
  const used = new Set<(typeof schemaExceptions)[number]>();
  const findings = verdicts
    .filter((v) => v.status === 'invalid' || v.status === 'error')
    .flatMap((v) => {
      const object = objects[files.findIndex((f) => f.path === v.file)];
      const errors = (v.errors.length ? v.errors : [{ path: '', message: v.message }]).filter((e) => {
        const excepted = schemaExceptions.find(
          (x) => x.kind === v.kind && x.name === v.name && x.path === e.path && e.message.includes(x.message),
        );
        if (excepted) used.add(excepted);
        return !excepted;
      });
      return errors.map((e) => {
        const { where, ...position } = hint(values, object.source, e.path);
        return at(
          `${describe(object)}: ${e.path || '/'}: ${e.message}${where}`,
          rule.schema,
          'the chart renders an object the API server would reject: change the value named, ' +
            'or add a reasoned entry to libs/gate/src/chart-exceptions.ts if the API server accepts it',
          position,
        );
      });
    });
  const stale = schemaExceptions
    .filter((x) => !used.has(x))
    .map((x) =>
      at(
        `the schema exception for ${x.kind} ${x.name} at ${x.path} (${x.template}) no longer matches anything rendered`,
        rule.exception,
        'remove it from libs/gate/src/chart-exceptions.ts',
      ),
    );
  return [...findings, ...stale];
}

/** An image without its tag or digest, as kustomize's `images` matches it. */
const imageName = (image: string) => image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');

/**
 * Every image Argo CD will run is a pin, the chart's hard-coded ones included (after kustomize's
 * `images`); an override of platform-kustomization.ts that no longer matches what the chart renders is
 * reported, so the list stays exact.
 */
function imageFindings({ objects, inflated }: ChartBuild, pins: Pins, at: At): Diagnostic[] {
  const pinned = new Set(Object.values(pins.images).map(imageReference));
  const findings = objects.flatMap((o) =>
    imagesOf(o.object)
      .filter(({ image }) => !pinned.has(image))
      .map(({ container, image }) =>
        at(
          `${describe(o)}: container ${container} runs ${image}, not a pin of platform/pins.yaml`,
          rule.image,
          'set the image through the values of the chart from a pin, or, where no value sets it, ' +
            'add an override to chartImageOverrides in libs/render/src/platform-kustomization.ts',
        ),
      ),
  );
  const stale = chartImageOverrides
    .filter(
      (x) =>
        !inflated.some(
          (o) =>
            o.source === x.template &&
            imagesOf(o.object).some((c) => c.container === x.container && imageName(c.image) === x.image),
        ),
    )
    .map((x) =>
      at(
        `the image override for ${x.image} (${x.template}, container ${x.container}) ` +
          'no longer matches anything the chart renders',
        rule.exception,
        'remove it from chartImageOverrides in libs/render/src/platform-kustomization.ts',
      ),
    );
  return [...findings, ...stale];
}

/**
 * Every namespaced object lands in the system namespace (no namespace: Argo CD gives it the destination's);
 * no node or LB ports.
 */
function placementFindings(
  objects: ChartObject[],
  cluster: Cluster,
  values: RenderedFile | undefined,
  at: At,
): Diagnostic[] {
  return objects.flatMap((o) => {
    const findings: Diagnostic[] = [];
    const namespace = metaOf(o).namespace ?? cluster.systemNamespace;
    if (!clusterScopedKinds.has(String(o.object.kind)) && namespace !== cluster.systemNamespace) {
      findings.push(
        at(
          `${describe(o)}: lands in namespace ${namespace}, not the system namespace ${cluster.systemNamespace}`,
          rule.namespace,
          'the platform AppProject deploys only to the system namespace: set the chart value that names this namespace',
        ),
      );
    }
    const type = (o.object.spec as { type?: string } | undefined)?.type;
    if (o.object.kind === 'Service' && (type === 'NodePort' || type === 'LoadBalancer')) {
      const { where, ...position } = hint(values, o.source, '/spec/type');
      findings.push(
        at(
          `${describe(o)}: type ${type} opens a port outside the cluster network${where}`,
          rule.service,
          'set the Service type to ClusterIP and expose it through an Ingress',
          position,
        ),
      );
    }
    return findings;
  });
}

function clusterScopedFindings(objects: ChartObject[], at: At): Diagnostic[] {
  const key = (kind: string, name: string) => `${kind} ${name}`;
  const documented = new Set(
    clusterScopedExceptions
      .filter((e) => e.createdBy === 'chart')
      .flatMap((e) => e.objects.map((x) => key(x.kind, x.name))),
  );
  const rendered = objects.filter((o) => clusterScopedKinds.has(String(o.object.kind)));
  const renderedKeys = new Set(rendered.map((o) => key(String(o.object.kind), metaOf(o).name ?? '')));
  return [
    ...rendered
      .filter((o) => !documented.has(key(String(o.object.kind), metaOf(o).name ?? '')))
      .map((o) =>
        at(
          `${describe(o)}: a cluster-scoped object that is not a documented exception`,
          rule.clusterScoped,
          'turn it off in the chart values, or document it in libs/gate/src/chart-exceptions.ts ' +
            "(`npm run docs` writes the operator guide's table from it)",
        ),
      ),
    ...[...documented]
      .filter((k) => !renderedKeys.has(k))
      .map((k) =>
        at(
          `the cluster-scoped exception ${k} is no longer rendered by the chart`,
          rule.exception,
          'remove it from libs/gate/src/chart-exceptions.ts, then run `npm run docs`',
        ),
      ),
  ];
}
