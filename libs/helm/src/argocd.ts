import { isAbsolute, join } from 'node:path';
import type { TemplateRequest } from './helm.js';

/** The parts of an Argo CD Application that decide how its Helm source is rendered. */
export interface HelmApplication {
  metadata: { name?: string };
  spec: {
    source?: HelmSource;
    sources?: HelmSource[];
    destination: { namespace?: string };
  };
}

export interface HelmSource {
  chart?: string;
  /** for a chart source, the chart's version */
  targetRevision?: string;
  ref?: string;
  helm?: { releaseName?: string; valueFiles?: string[] };
}

export interface HelmSourceResolution {
  /** the chart Argo CD would pull, as a folder */
  chartDir: string;
  /** the cluster's Kubernetes version (Argo CD passes the destination cluster's) */
  kubeVersion: string;
  /** where each `ref` source of the Application is checked out, e.g. `{ values: <repository root> }` */
  refs: Record<string, string>;
}

/** The Application's one Helm chart source. */
export function chartSourceOf(application: HelmApplication): HelmSource {
  const sources = application.spec.sources ?? (application.spec.source ? [application.spec.source] : []);
  const charts = sources.filter((source) => source.chart);
  if (charts.length !== 1) throw new Error(`Application ${application.metadata.name}: expected one Helm chart source, found ${charts.length}`);
  return charts[0];
}

/**
 * The `helm template` Argo CD runs for an Application's chart source: release name `helm.releaseName`
 * (default: the Application's name), the destination namespace, the value files in order, a
 * `$<ref>/<path>` value file read from the source with that `ref`, any other from the chart's folder.
 */
export function templateRequestOf(application: HelmApplication, resolution: HelmSourceResolution): TemplateRequest {
  const source = chartSourceOf(application);
  const valueFile = (file: string) => {
    const ref = /^\$([^/]+)\/(.+)$/.exec(file);
    if (!ref) return isAbsolute(file) ? file : join(resolution.chartDir, file);
    const root = resolution.refs[ref[1]];
    if (root === undefined) throw new Error(`Application ${application.metadata.name}: value file ${file} names no source with ref ${ref[1]}`);
    return join(root, ref[2]);
  };
  return {
    releaseName: source.helm?.releaseName ?? application.metadata.name ?? '',
    chartDir: resolution.chartDir,
    namespace: application.spec.destination.namespace ?? '',
    kubeVersion: resolution.kubeVersion,
    valueFiles: (source.helm?.valueFiles ?? []).map(valueFile),
  };
}
