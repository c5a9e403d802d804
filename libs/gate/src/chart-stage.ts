import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { Diagnostic } from '@flyte-gkp/diagnostics';
import { chartFolder, helmSettings, helmTemplate, HelmTemplateError, templateRequestOf, type ChartObject, type HelmApplication } from '@flyte-gkp/helm';
import type { ResourceVerdict } from '@flyte-gkp/kubeconform';
import { imageReference, type Cluster, type Pins } from '@flyte-gkp/platform';
import { clusterPaths, type RenderedFile } from '@flyte-gkp/render';
import { clusterScopedExceptions, imageExceptions, schemaExceptions } from './chart-exceptions.js';
import { kubeconformOnDisk } from './kubeconform-stage.js';

/**
 * Check stage "chart": what Argo CD renders itself. The platform Application's Helm source is rendered
 * by the real helm exactly as Argo CD will (its release name, destination namespace, value files in
 * order, the cluster's Kubernetes version) and every object is checked like our own manifests:
 * kubeconform -strict, images pinned, the system namespace, no node or load-balancer ports, and the
 * cluster-scoped objects exactly those of chart-exceptions.ts. Findings are filed at the values file a
 * change would go to, and name the chart template (helm's `# Source:`) and, where known, the value.
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
  'APIService', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'IngressClass', 'MutatingWebhookConfiguration', 'Namespace',
  'PersistentVolume', 'PodSecurityPolicy', 'PriorityClass', 'RuntimeClass', 'StorageClass', 'ValidatingWebhookConfiguration',
]);

/** Where a chart template takes a value from: known for the templates our values reach. */
const valueHints: { template: string; path: RegExp; value: string[] }[] = [
  { template: 'flyte/templates/admin/deployment.yaml', path: /\/initContainers\/\d+\/command\/\d+$/, value: ['flyteadmin', 'initialProjects'] },
  { template: 'flyte/templates/datacatalog/service.yaml', path: /^\/spec\/type$/, value: ['datacatalog', 'service', 'type'] },
  { template: 'flyte/templates/admin/service.yaml', path: /^\/spec\/type$/, value: ['flyteadmin', 'service', 'type'] },
  { template: 'flyte/templates/console/service.yaml', path: /^\/spec\/type$/, value: ['flyteconsole', 'service', 'type'] },
];

interface Meta {
  name?: string;
  namespace?: string;
  annotations?: Record<string, string>;
}
const metaOf = (o: ChartObject) => (o.object.metadata ?? {}) as Meta;
const describe = (o: ChartObject) => `${String(o.object.kind)} ${metaOf(o).name} (${o.source})`;

/** The platform Application among a file's objects: the one with a chart source. */
export function chartApplicationOf(objects: readonly unknown[]): HelmApplication | undefined {
  return objects.find((o): o is HelmApplication => (o as { kind?: string }).kind === 'Application' && ((o as HelmApplication).spec?.sources ?? []).some((s) => s.chart));
}

/**
 * The chart as Argo CD renders it for the cluster: the value files it would read (repository path and
 * text) go through a scratch checkout, the chart is the one `npm run setup` installs.
 */
export async function renderChart(root: string, cluster: Cluster, application: HelmApplication, valueFiles: readonly { path: string; content: string }[], scratch: string): Promise<ChartObject[]> {
  const checkout = join(scratch, 'repository');
  for (const file of valueFiles) {
    await mkdir(dirname(join(checkout, file.path)), { recursive: true });
    await writeFile(join(checkout, file.path), file.content);
  }
  const chartDir = chartFolder(root, cluster.flyte.chart, cluster.flyte.chartVersion);
  const request = templateRequestOf(application, { chartDir, kubeVersion: cluster.kubernetesVersion, refs: { values: checkout } });
  return helmTemplate(request, helmSettings(root));
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
  return known ? { where: `, from the value ${known.value.join('.')}`, ...valueLocation(values, known.value) } : { where: '' };
}

/** Every container image of a pod template, with the container's name, and the Vault agent's. */
function imagesOf(object: Record<string, unknown>): { container: string; image: string }[] {
  const spec = object.spec as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  const podSpec = spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec ?? (object.kind === 'Pod' ? spec : undefined);
  const annotations = spec?.template?.metadata?.annotations ?? spec?.jobTemplate?.spec?.template?.metadata?.annotations ?? {};
  if (!podSpec) return [];
  const containers = [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])].map((c: { name: string; image: string }) => ({ container: c.name, image: c.image }));
  const agent = annotations['vault.hashicorp.com/agent-image'];
  return agent ? [...containers, { container: 'vault-agent (annotation)', image: agent }] : containers;
}

export interface ChartCheck {
  diagnostics: Diagnostic[];
  /** What was rendered, for reports and tests. */
  objects: ChartObject[];
}

/** Runs the chart stage for one cluster: render with helm, then every check on its objects. */
export async function checkChart(root: string, cluster: Cluster, pins: Pins, rendered: RenderedFile[]): Promise<ChartCheck> {
  const valuesPath = clusterPaths(cluster).flyteValues;
  const values = rendered.find((f) => f.path === valuesPath);
  const at = (message: string, ruleId: string, fix: string, position: { line?: number; column?: number } = {}): Diagnostic => ({ file: valuesPath, ...position, rule: ruleId, message, fix });
  const application = chartApplicationOf(rendered.find((f) => f.path === clusterPaths(cluster).platformApp)?.objects ?? []);
  if (!application) return { diagnostics: [], objects: [] };

  const scratch = await mkdtemp(join(tmpdir(), 'flyte-gkp-chart-'));
  try {
    let objects: ChartObject[];
    try {
      objects = await renderChart(root, cluster, application, rendered.filter((f) => f.type === 'helm-values'), scratch);
    } catch (error) {
      if (!(error instanceof HelmTemplateError)) throw error;
      return { diagnostics: [at(`the ${cluster.flyte.chart} chart ${cluster.flyte.chartVersion} does not render with these values: ${error.message}`, rule.render, 'fix the value helm names, in libs/render/src/flyte-values.ts or the platform input it comes from')], objects: [] };
    }
    const files = objects.map((o, i) => ({ path: `chart/${String(i).padStart(4, '0')}.yaml`, content: o.text }));
    await mkdir(join(scratch, 'chart'));
    await Promise.all(files.map((f) => writeFile(join(scratch, f.path), f.content)));
    const verdicts = await kubeconformOnDisk(root, cluster, scratch, files);
    const diagnostics = [
      ...schemaFindings(verdicts, objects, files, values, at),
      ...imageFindings(objects, pins, at),
      ...placementFindings(objects, cluster, values, at),
      ...clusterScopedFindings(objects, at),
    ];
    return { diagnostics, objects };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

type At = (message: string, ruleId: string, fix: string, position?: { line?: number; column?: number }) => Diagnostic;

function schemaFindings(verdicts: ResourceVerdict[], objects: ChartObject[], files: { path: string }[], values: RenderedFile | undefined, at: At): Diagnostic[] {
  const used = new Set<(typeof schemaExceptions)[number]>();
  const findings = verdicts
    .filter((v) => v.status === 'invalid' || v.status === 'error')
    .flatMap((v) => {
      const object = objects[files.findIndex((f) => f.path === v.file)];
      const errors = (v.errors.length ? v.errors : [{ path: '', message: v.message }]).filter((e) => {
        const excepted = schemaExceptions.find((x) => x.kind === v.kind && x.name === v.name && x.path === e.path && e.message.includes(x.message));
        if (excepted) used.add(excepted);
        return !excepted;
      });
      return errors.map((e) => {
        const { where, ...position } = hint(values, object.source, e.path);
        return at(`${describe(object)}: ${e.path || '/'}: ${e.message}${where}`, rule.schema, 'the chart renders an object the API server would reject: change the value named, or add a reasoned entry to libs/gate/src/chart-exceptions.ts if the API server accepts it', position);
      });
    });
  const stale = schemaExceptions.filter((x) => !used.has(x)).map((x) => at(`the schema exception for ${x.kind} ${x.name} at ${x.path} (${x.template}) no longer matches anything rendered`, rule.exception, 'remove it from libs/gate/src/chart-exceptions.ts'));
  return [...findings, ...stale];
}

function imageFindings(objects: ChartObject[], pins: Pins, at: At): Diagnostic[] {
  const pinned = new Set(Object.values(pins.images).map(imageReference));
  const used = new Set<(typeof imageExceptions)[number]>();
  const findings = objects.flatMap((o) =>
    imagesOf(o.object).flatMap(({ container, image }) => {
      if (pinned.has(image)) return [];
      const excepted = imageExceptions.find((x) => x.image === image && x.template === o.source && x.container === container);
      if (excepted) {
        used.add(excepted);
        return [];
      }
      return [at(`${describe(o)}: container ${container} runs ${image}, not a pin of platform/pins.yaml`, rule.image, 'set the image through the values of the chart from a pin, or, where no value sets it, add it with its reason to libs/gate/src/chart-exceptions.ts')];
    }),
  );
  const stale = imageExceptions.filter((x) => !used.has(x)).map((x) => at(`the image exception for ${x.image} (${x.template}, container ${x.container}) no longer matches anything rendered`, rule.exception, 'remove it from libs/gate/src/chart-exceptions.ts'));
  return [...findings, ...stale];
}

/** Every namespaced object lands in the system namespace (no namespace: Argo CD gives it the destination's); no node or LB ports. */
function placementFindings(objects: ChartObject[], cluster: Cluster, values: RenderedFile | undefined, at: At): Diagnostic[] {
  return objects.flatMap((o) => {
    const findings: Diagnostic[] = [];
    const namespace = metaOf(o).namespace ?? cluster.systemNamespace;
    if (!clusterScopedKinds.has(String(o.object.kind)) && namespace !== cluster.systemNamespace) {
      findings.push(at(`${describe(o)}: lands in namespace ${namespace}, not the system namespace ${cluster.systemNamespace}`, rule.namespace, 'the platform AppProject deploys only to the system namespace: set the chart value that names this namespace'));
    }
    const type = (o.object.spec as { type?: string } | undefined)?.type;
    if (o.object.kind === 'Service' && (type === 'NodePort' || type === 'LoadBalancer')) {
      const { where, ...position } = hint(values, o.source, '/spec/type');
      findings.push(at(`${describe(o)}: type ${type} opens a port outside the cluster network${where}`, rule.service, 'set the Service type to ClusterIP and expose it through an Ingress', position));
    }
    return findings;
  });
}

function clusterScopedFindings(objects: ChartObject[], at: At): Diagnostic[] {
  const key = (kind: string, name: string) => `${kind} ${name}`;
  const documented = new Set(clusterScopedExceptions.filter((e) => e.createdBy === 'chart').flatMap((e) => e.objects.map((x) => key(x.kind, x.name))));
  const rendered = objects.filter((o) => clusterScopedKinds.has(String(o.object.kind)));
  const renderedKeys = new Set(rendered.map((o) => key(String(o.object.kind), metaOf(o).name ?? '')));
  return [
    ...rendered
      .filter((o) => !documented.has(key(String(o.object.kind), metaOf(o).name ?? '')))
      .map((o) => at(`${describe(o)}: a cluster-scoped object that is not a documented exception`, rule.clusterScoped, 'turn it off in the chart values, or document it in libs/gate/src/chart-exceptions.ts (the README table follows it)')),
    ...[...documented]
      .filter((k) => !renderedKeys.has(k))
      .map((k) => at(`the cluster-scoped exception ${k} is no longer rendered by the chart`, rule.exception, 'remove it from libs/gate/src/chart-exceptions.ts and the README table')),
  ];
}
