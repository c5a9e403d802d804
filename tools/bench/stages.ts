// In-process cost breakdown: the gate's own entry points (renderWorkspace, runGate) timed in the bench
// process, without start-up, and the library calls they are made of, timed apart. Only the libraries'
// public entry points are used, so the breakdown survives changes inside the gate.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clusterToolchainSettings, listSpecFiles, renderWorkspace, runGate } from '@flyte-gkp/gate';
import { argumentChunks, runKubeconform } from '@flyte-gkp/kubeconform';
import { rules as allRules, runRules } from '@flyte-gkp/lint';
import { compareTrees, readTree } from '@flyte-gkp/output';
import { loadPlatform } from '@flyte-gkp/platform';
import { renderCluster, type ProjectInput, type RenderedFile } from '@flyte-gkp/render';
import { diskSource, loadProjectFile } from '@flyte-gkp/project-spec';
import { median } from './measure.js';

export interface StageTimes {
  /** platform/ files: parse and schema */
  loadPlatformMs: number;
  /** every spec: read, parse (positions kept), JSON Schema */
  loadSpecsMs: number;
  /** renderCluster for every cluster, typed objects and the text of every file: median of the runs */
  renderClusterMs: number;
  renderClusterRunsMs: number[];
  /** every lint rule over platform, specs and rendered files */
  lintMs: number;
  /** the same, rule by rule */
  lintByRuleMs: Record<string, number>;
  /**
   * runKubeconform (the wrapper: chunks of arguments, JSON parsing) on the rendered manifests, on disk under clusters/
   */
  kubeconformMs: number;
  /** clusters/<cluster>/ read back (readTree) and compared with the fresh render (compareTrees) */
  driftMs: number;
  /** renderWorkspace: what `render` does after start-up (load, render, lint, kubeconform, write) */
  renderInProcessMs: number;
  /** runGate: what `validate` does after start-up (load, render, lint, kubeconform, drift) */
  validateInProcessMs: number;
  /** rendered files (all types) and manifests (what kubeconform sees) */
  renderedFiles: number;
  manifestFiles: number;
  /** cluster name → its manifest paths, repository-relative: the exact files kubeconform alone is run on */
  manifests: Map<string, string[]>;
  /** how many times the wrapper starts kubeconform for them (one per chunk of command-line arguments) */
  kubeconformChunks: number;
}

/** The parts, in pipeline order. */
export const stageNames = [
  'loadPlatformMs',
  'loadSpecsMs',
  'renderClusterMs',
  'lintMs',
  'kubeconformMs',
  'driftMs',
] as const;
export type StageName = (typeof stageNames)[number];

const since = (start: number) => performance.now() - start;

/**
 * Times the parts once (renderCluster `renderRepeats` times), then renderWorkspace and runGate once each,
 * on a workspace whose clusters/ is already rendered. Throws when anything does not pass: the bench must
 * never time a failing run.
 */
export async function timeStages(root: string, renderRepeats = 1): Promise<StageTimes> {
  const files = diskSource(root);
  let t = performance.now();
  const loaded = await loadPlatform(files);
  const loadPlatformMs = since(t);
  if (!loaded.ok) throw new Error(`platform does not load in ${root}`);
  const { platform } = loaded;

  t = performance.now();
  const projects: ProjectInput[] = [];
  for (const file of await listSpecFiles(files)) {
    const result = await loadProjectFile(files, file);
    if (!result.ok)
      throw new Error(`${file} is not a valid spec: ${result.diagnostics.map((d) => d.message).join('; ')}`);
    projects.push({ ...result.value, file });
  }
  const loadSpecsMs = since(t);

  const renderClusterRunsMs: number[] = [];
  let rendered = new Map<string, RenderedFile[]>();
  for (let i = 0; i < renderRepeats; i++) {
    t = performance.now();
    rendered = new Map(platform.clusters.map((c) => [c.cluster.name, renderCluster(c, platform.pins, projects)]));
    renderClusterRunsMs.push(since(t));
  }

  const lintByRuleMs: Record<string, number> = {};
  for (const rule of allRules) {
    t = performance.now();
    const findings = runRules([rule], { platform, projects, refusedSpecs: [], rendered });
    lintByRuleMs[rule.id] = since(t);
    if (findings.length > 0)
      throw new Error(
        `lint findings on the generated specs: ${findings
          .slice(0, 5)
          .map((d) => `${d.file}: ${d.message}`)
          .join('; ')}`,
      );
  }

  let kubeconformMs = 0;
  let driftMs = 0;
  let kubeconformChunks = 0;
  const manifests = new Map<string, string[]>();
  for (const { cluster } of platform.clusters) {
    const clusterFiles = rendered.get(cluster.name) ?? [];
    const clusterManifests = clusterFiles.filter((f) => f.type === 'manifest').map((f) => f.path);
    manifests.set(cluster.name, clusterManifests);

    t = performance.now();
    const verdicts = await runKubeconform(clusterManifests, root, clusterToolchainSettings(root, cluster));
    kubeconformMs += since(t);
    kubeconformChunks += argumentChunks(clusterManifests).length;
    const bad = verdicts.filter((v) => v.status !== 'valid');
    if (bad.length > 0)
      throw new Error(
        `kubeconform rejects the generated output: ${bad
          .slice(0, 3)
          .map((v) => `${v.file} ${v.kind}: ${v.message}`)
          .join('; ')}`,
      );

    t = performance.now();
    const expected = new Map(clusterFiles.map((f) => [f.path, f.content]));
    const difference = compareTrees(expected, await readTree(root, join('clusters', cluster.name)));
    driftMs += since(t);
    if (difference.added.length + difference.removed.length + difference.changed.length > 0)
      throw new Error(`clusters/${cluster.name}/ is not in step with a fresh render`);
  }

  t = performance.now();
  const render = await renderWorkspace(root);
  const renderInProcessMs = since(t);
  if (render.diagnostics.length > 0 || render.written.length === 0)
    throw new Error(
      `renderWorkspace did not pass: ${render.diagnostics
        .slice(0, 3)
        .map((d) => d.message)
        .join('; ')}`,
    );
  t = performance.now();
  const gate = await runGate(root);
  const validateInProcessMs = since(t);
  if (gate.diagnostics.length > 0)
    throw new Error(
      `runGate did not pass: ${gate.diagnostics
        .slice(0, 3)
        .map((d) => `${d.file}: ${d.message}`)
        .join('; ')}`,
    );

  return {
    loadPlatformMs,
    loadSpecsMs,
    renderClusterMs: median(renderClusterRunsMs),
    renderClusterRunsMs,
    lintMs: Object.values(lintByRuleMs).reduce((a, b) => a + b, 0),
    lintByRuleMs,
    kubeconformMs,
    driftMs,
    renderInProcessMs,
    validateInProcessMs,
    renderedFiles: [...rendered.values()].reduce((n, f) => n + f.length, 0),
    manifestFiles: [...manifests.values()].reduce((n, paths) => n + paths.length, 0),
    manifests,
    kubeconformChunks,
  };
}
