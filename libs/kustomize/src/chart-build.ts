// Builds a folder whose kustomization inflates one Helm chart, offline, as Argo CD's repo-server builds it
// after pulling the chart, and files each resulting object under the chart template that produced it.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { checkInstalled, parseTemplateOutput, type ChartObject } from '@flyte-gkp/helm';
import { isMap, parse, parseAllDocuments } from 'yaml';
import {
  kustomizeBuild,
  pulledChartFolder,
  type HelmChartInflation,
  type Kustomization,
  type KustomizeSettings,
} from './kustomize.js';

export interface ChartBuildRequest {
  /** the kustomization.yaml and every file it names, by name (they sit side by side) */
  files: { name: string; content: string }[];
  /** the destination cluster's Kubernetes version, X.Y.Z */
  kubeVersion: string;
  /** the chart the kustomization names, already pulled: a folder holding Chart.yaml */
  chartDir: string;
}

export interface ChartBuild {
  /** What Argo CD applies: kustomize's output, each object with the template (`# Source:`) it came from. */
  objects: ChartObject[];
  /** The chart as helm rendered it, before kustomize's images and patches. */
  inflated: ChartObject[];
}

/** The one chart a kustomization inflates; anything else is not a folder this repository writes. */
export function inflatedChart(kustomization: Kustomization): HelmChartInflation {
  const charts = kustomization.helmCharts ?? [];
  if (charts.length !== 1) throw new Error(`the kustomization inflates ${charts.length} Helm charts, not one`);
  return charts[0];
}

const identity = (object: Record<string, unknown>) => {
  const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
  return `${String(object.apiVersion)}/${String(object.kind)}/${metadata.namespace ?? ''}/${metadata.name ?? ''}`;
};

/**
 * Builds the folder with the real kustomize and helm. kustomize finds the chart where it would have
 * pulled it (a link to `chartDir`); what helm printed for it gives the `# Source:` lines kustomize
 * drops. Objects kustomize made itself are filed under `kustomization.yaml`.
 */
export async function buildChartFolder(request: ChartBuildRequest, settings: KustomizeSettings): Promise<ChartBuild> {
  const kustomizationFile = request.files.find((f) => f.name === 'kustomization.yaml');
  if (!kustomizationFile) throw new Error('no kustomization.yaml among the files to build');
  const kustomization = parse(kustomizationFile.content) as Kustomization;
  const chart = inflatedChart(kustomization);
  checkInstalled({ binary: settings.helmBinary }, request.chartDir);
  const dir = await mkdtemp(join(tmpdir(), 'flyte-gkp-kustomize-'));
  try {
    for (const file of request.files) await writeFile(join(dir, basename(file.name)), file.content);
    const pulled = pulledChartFolder(dir, chart);
    await mkdir(dirname(pulled), { recursive: true });
    await symlink(request.chartDir, pulled);
    const built = await kustomizeBuild({ dir, kubeVersion: request.kubeVersion }, settings);
    const inflated = parseTemplateOutput(built.helmOutput);
    const sources = new Map(inflated.map((o) => [identity(o.object), o.source]));
    // The objects of the kustomization's own resources are filed under their file.
    for (const file of request.files.filter((f) => kustomization.resources?.includes(f.name)))
      for (const document of parseAllDocuments(file.content))
        if (isMap(document.contents)) sources.set(identity(document.toJS() as Record<string, unknown>), file.name);
    const objects = built.objects.map(({ object, text }) => ({
      source: sources.get(identity(object)) ?? 'kustomization.yaml',
      object,
      text,
    }));
    return { objects, inflated };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
