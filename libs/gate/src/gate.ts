import type { Diagnostic } from '@flyte-gkp/diagnostics';
import { runRules, rules as allRules } from '@flyte-gkp/lint';
import { compareTrees, readTree, recoverInterruptedWrite, replaceFolderAtomically, unifiedDiff, type Tree } from '@flyte-gkp/output';
import type { RenderedFile } from '@flyte-gkp/render';
import type { FileSource } from '@flyte-gkp/spec';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { kubeconformStage } from './kubeconform-stage.js';
import { loadWorkspace, specExtensions, type Workspace } from './workspace.js';

export interface GateOptions {
  /** Spec files (repository-relative) to report on; undefined means the whole workspace. */
  focus?: string[];
  kubeconform?: boolean;
  drift?: boolean;
  /** Where to read the workspace from (default: the disk under root). */
  files?: FileSource;
}

export interface GateResult {
  diagnostics: Diagnostic[];
  /** Files the verdict covers: specs, platform files and rendered files. */
  checkedFiles: string[];
}

export const renderCommand = 'npm run render';

function renderedTree(files: RenderedFile[]): Tree {
  return new Map(files.map((f) => [f.path, f.content]));
}

/**
 * Which spec owns a file under clusters/: the one named after its `projects/<id>/` folder. Decided by
 * path, not by the fresh render, so the committed files of a spec that no longer renders are still its
 * own, and those of a removed spec belong to no spec (the cluster-wide check reports them).
 */
function ownerOf(path: string, specByStem: Map<string, string>): string | undefined {
  const match = /^clusters\/[^/]+\/projects\/([^/]+)\//.exec(path);
  return match ? specByStem.get(match[1]) : undefined;
}

/**
 * A finding is in scope when it is about a focused spec or a file that spec owns, or about the platform
 * and the cluster-wide files. The leftovers of a removed spec go to the cluster-wide check (empty focus).
 */
function inScope(focus: Set<string> | undefined, workspace: Workspace) {
  if (!focus) return () => true;
  const specByStem = specsByStem(workspace);
  return (d: Diagnostic) => {
    if (d.file.startsWith('projects/')) return focus.has(d.file);
    if (!isProjectOutput(d.file)) return true;
    const owner = ownerOf(d.file, specByStem);
    return owner === undefined ? focus.size === 0 : focus.has(owner);
  };
}

const specsByStem = (workspace: Workspace) => new Map(workspace.specFiles.map((f) => [f.slice('projects/'.length).replace(specExtensions, ''), f]));
const isProjectOutput = (path: string) => /^clusters\/[^/]+\/projects\//.test(path);

function driftDiagnostics(clusterName: string, expected: Tree, committed: Tree): Diagnostic[] {
  const { added, removed, changed } = compareTrees(expected, committed);
  const fix = `run \`${renderCommand}\` and commit clusters/${clusterName}/`;
  return [
    ...added.map((file) => ({ file, rule: 'drift', message: 'missing: the committed output lacks this rendered file', fix, detail: unifiedDiff(file, undefined, expected.get(file)) })),
    ...removed.map((file) => ({ file, rule: 'drift', message: 'not rendered from any source: edited or left behind by hand', fix, detail: unifiedDiff(file, committed.get(file), undefined) })),
    ...changed.map((file) => ({ file, rule: 'drift', message: 'differs from a fresh render (edited by hand, or not rendered again after a change)', fix, detail: unifiedDiff(file, committed.get(file), expected.get(file)) })),
  ];
}

/** Output folders under clusters/ that no cluster definition renders any more. */
async function orphanClusterFolders(root: string, workspace: Workspace): Promise<string[]> {
  const defined = new Set(workspace.platform.clusters.map((c) => c.cluster.name));
  const entries = await readdir(join(root, 'clusters'), { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && !defined.has(e.name)).map((e) => e.name).sort();
}

/**
 * Output of a spec that does not load cannot be compared with a render (there is none), nor can the
 * cluster-wide files that list every spec: its own findings say what to fix first.
 */
function comparable(workspace: Workspace) {
  const failed = new Set(workspace.diagnostics.map((d) => d.file));
  const specByStem = specsByStem(workspace);
  return (d: Diagnostic) => {
    if (failed.size === 0) return true;
    if (!isProjectOutput(d.file)) return false;
    const owner = ownerOf(d.file, specByStem);
    return owner === undefined || !failed.has(owner);
  };
}

/** The validation gate: schema, lint, kubeconform and drift; all findings at once. */
export async function runGate(root: string, options: GateOptions = {}): Promise<GateResult> {
  return checkWorkspace(await loadWorkspace(root, options.files), options);
}

async function checkWorkspace(workspace: Workspace, options: GateOptions): Promise<GateResult> {
  const { root } = workspace;
  const focus = options.focus ? new Set(options.focus) : undefined;
  const keep = inScope(focus, workspace);
  const diagnostics: Diagnostic[] = [...workspace.diagnostics];
  diagnostics.push(...runRules(allRules, workspace));

  const checkedFiles = new Set<string>([...workspace.platform.clusters.map((c) => c.source.file), workspace.platform.pinsSource.file]);
  for (const file of workspace.specFiles) if (!focus || focus.has(file)) checkedFiles.add(file);
  for (const { cluster } of workspace.platform.clusters) {
    const files = (workspace.rendered.get(cluster.name) ?? []).filter((f) => keep({ file: f.path, rule: '', message: '' }));
    for (const f of files) checkedFiles.add(f.path);
    if (options.kubeconform !== false) diagnostics.push(...(await kubeconformStage(root, cluster, files)));
    if (options.drift !== false) {
      await recoverInterruptedWrite(join(root, 'clusters'), cluster.name);
      const dir = `clusters/${cluster.name}`;
      const drift = driftDiagnostics(cluster.name, renderedTree(workspace.rendered.get(cluster.name) ?? []), await readTree(root, dir));
      diagnostics.push(...drift.filter(comparable(workspace)));
    }
  }
  if (options.drift !== false) {
    for (const name of await orphanClusterFolders(root, workspace)) {
      diagnostics.push({ file: `clusters/${name}`, rule: 'drift', message: `no cluster definition platform/clusters/${name}.yaml renders this folder`, fix: `run \`${renderCommand}\` (it removes the folder) and commit` });
    }
  }
  return { diagnostics: diagnostics.filter(keep), checkedFiles: [...checkedFiles].sort() };
}

export interface RenderResult extends GateResult {
  /** Clusters whose folder was replaced. */
  written: string[];
}

/**
 * Renders every cluster, validates the result (schema, lint, kubeconform) and only then replaces
 * clusters/<name>/; any finding leaves clusters/ exactly as it was.
 */
export async function renderWorkspace(root: string, options: { kubeconform?: boolean } = {}): Promise<RenderResult> {
  const workspace = await loadWorkspace(root);
  const gate = await checkWorkspace(workspace, { kubeconform: options.kubeconform, drift: false });
  if (gate.diagnostics.length > 0) return { ...gate, written: [] };
  const written: string[] = [];
  for (const [name, files] of workspace.rendered) {
    const relative = new Map(files.map((f) => [f.path.slice(`clusters/${name}/`.length), f.content]));
    await replaceFolderAtomically(join(root, 'clusters'), name, relative);
    written.push(name);
  }
  for (const name of await orphanClusterFolders(root, workspace)) await rm(join(root, 'clusters', name), { recursive: true, force: true });
  return { ...gate, written };
}
