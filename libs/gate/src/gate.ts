import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '@flyte-gkp/diagnostics';
import type { ResourceVerdict } from '@flyte-gkp/kubeconform';
import { runRules, rules as allRules } from '@flyte-gkp/lint';
import { commitStaged, compareTrees, discardStaged, listTree, prepareStaging, readFiles, recoverInterruptedWrite, unifiedDiff, writeStaged, type StagedFolder, type Tree } from '@flyte-gkp/output';
import type { Platform } from '@flyte-gkp/platform';
import { clusterPaths, SerializationMemo, type RenderedFile } from '@flyte-gkp/render';
import { diskSource, type FileSource } from '@flyte-gkp/spec';
import { kubeconformOnContent, kubeconformOnDisk, verdictDiagnostics } from './kubeconform-stage.js';
import { openSerializationMemo, saveSerializationMemo } from './serialization-memo.js';
import { listSpecFiles, loadPlatformOrThrow, loadWorkspace, specExtensions, type Workspace } from './workspace.js';

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
const clustersDir = 'clusters';

const isProjectOutput = (path: string) => /^clusters\/[^/]+\/projects\//.test(path);
const stemsOf = (specFiles: string[]) => new Map(specFiles.map((f) => [f.slice('projects/'.length).replace(specExtensions, ''), f]));

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
 * A file is in scope when it is a focused spec or a file that spec owns, or the platform and the
 * cluster-wide files. The leftovers of a removed spec go to the cluster-wide check (empty focus).
 */
function scope(focus: Set<string> | undefined, specFiles: string[]): (file: string) => boolean {
  if (!focus) return () => true;
  const specByStem = stemsOf(specFiles);
  return (file) => {
    if (file.startsWith('projects/')) return focus.has(file);
    if (!isProjectOutput(file)) return true;
    const owner = ownerOf(file, specByStem);
    return owner === undefined ? focus.size === 0 : focus.has(owner);
  };
}

function driftDiagnostics(clusterName: string, expected: Tree, committed: Tree): Diagnostic[] {
  const { added, removed, changed } = compareTrees(expected, committed);
  const fix = `run \`${renderCommand}\` and commit ${clustersDir}/${clusterName}/`;
  return [
    ...added.map((file) => ({ file, rule: 'drift', message: 'missing: the committed output lacks this rendered file', fix, detail: unifiedDiff(file, undefined, expected.get(file)) })),
    ...removed.map((file) => ({ file, rule: 'drift', message: 'not rendered from any source: edited or left behind by hand', fix, detail: unifiedDiff(file, committed.get(file), undefined) })),
    ...changed.map((file) => ({ file, rule: 'drift', message: 'differs from a fresh render (edited by hand, or not rendered again after a change)', fix, detail: unifiedDiff(file, committed.get(file), expected.get(file)) })),
  ];
}

/**
 * Output of a spec that does not load cannot be compared with a render (there is none), nor can the
 * cluster-wide files that list every spec: its own findings say what to fix first.
 */
function comparable(workspace: Workspace) {
  const failed = new Set(workspace.diagnostics.map((d) => d.file));
  const specByStem = stemsOf(workspace.specFiles);
  return (d: Diagnostic) => {
    if (failed.size === 0) return true;
    if (!isProjectOutput(d.file)) return false;
    const owner = ownerOf(d.file, specByStem);
    return owner === undefined || !failed.has(owner);
  };
}

/** Output folders under clusters/ that no cluster definition renders any more. */
async function orphanClusterFolders(root: string, platform: Platform): Promise<string[]> {
  const defined = new Set(platform.clusters.map((c) => c.cluster.name));
  const entries = await readdir(join(root, clustersDir), { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && !defined.has(e.name)).map((e) => e.name).sort();
}

/** Schema and lint findings, and the files they cover. */
function rulesAndSchema(workspace: Workspace, inScope: (file: string) => boolean): GateResult {
  const checkedFiles = new Set<string>([...workspace.platform.clusters.map((c) => c.source.file), workspace.platform.pinsSource.file]);
  for (const file of workspace.specFiles) if (inScope(file)) checkedFiles.add(file);
  for (const files of workspace.rendered.values()) for (const f of files) if (inScope(f.path)) checkedFiles.add(f.path);
  return { diagnostics: [...workspace.diagnostics, ...runRules(allRules, workspace)], checkedFiles: [...checkedFiles].sort() };
}

/**
 * Starts kubeconform on the committed output at once (`listed`: repository paths), so it runs while the
 * specs load, render and lint; `read` gives a file's content when the verdict cache asks for it. Where
 * a committed file equals its fresh render, its verdicts are the render's.
 */
function kubeconformCommitted(root: string, platform: Platform, listed: Map<string, string[]>, read: (path: string) => string) {
  const running = new Map<string, Promise<ResourceVerdict[]>>();
  for (const { cluster } of platform.clusters) {
    const files = (listed.get(cluster.name) ?? []).filter((path) => path.endsWith('.yaml') && path !== clusterPaths(cluster).flyteValues).map((path) => ({ path, content: () => read(path) }));
    const verdicts = kubeconformOnDisk(root, cluster, root, files);
    verdicts.catch(() => undefined); // awaited below; a failure must not surface as unhandled meanwhile
    running.set(cluster.name, verdicts);
  }
  return running;
}

/** The committed files of every cluster, and kubeconform started on them before their contents are read. */
async function readCommitted(root: string, platform: Platform, inScope: (file: string) => boolean, withKubeconform: boolean) {
  await recoverInterruptedWrite(join(root, clustersDir));
  const listed = new Map<string, string[]>();
  for (const { cluster } of platform.clusters) listed.set(cluster.name, listTree(root, `${clustersDir}/${cluster.name}`, inScope));
  // Each file is read once: by the verdict cache's check before kubeconform starts, or after it started.
  const contents: Tree = new Map();
  const read = (path: string) => {
    if (!contents.has(path)) contents.set(path, readFiles(root, [path]).get(path)!);
    return contents.get(path)!;
  };
  const early = withKubeconform ? kubeconformCommitted(root, platform, listed, read) : new Map<string, Promise<ResourceVerdict[]>>();
  const committed = new Map([...listed].map(([name, files]) => [name, new Map(files.map((file) => [file, read(file)]))]));
  return { committed, early };
}

/** The validation gate: schema, lint, kubeconform and drift; all findings at once. */
export async function runGate(root: string, options: GateOptions = {}): Promise<GateResult> {
  const files = options.files ?? diskSource(root);
  const platform = await loadPlatformOrThrow(files);
  const inScope = scope(options.focus ? new Set(options.focus) : undefined, await listSpecFiles(files));
  const withKubeconform = options.kubeconform !== false;
  const withDrift = options.drift !== false;

  const { committed, early } = withKubeconform || withDrift ? await readCommitted(root, platform, inScope, withKubeconform) : { committed: new Map<string, Tree>(), early: new Map<string, Promise<ResourceVerdict[]>>() };

  // A focused check renders only the focused projects: validating one change costs one project, not all
  // (too little to gain from the memo, which costs a read of every text it knows).
  const memo = options.focus ? undefined : openSerializationMemo(root);
  const workspace = await loadWorkspace(root, files, platform, { only: options.focus ? new Set(options.focus) : undefined, memo });
  const { diagnostics, checkedFiles } = rulesAndSchema(workspace, inScope);
  for (const { cluster } of platform.clusters) {
    const rendered = workspace.rendered.get(cluster.name) ?? [];
    const onDisk = committed.get(cluster.name) ?? new Map<string, string>();
    if (withKubeconform) {
      const manifests = rendered.filter((f) => f.type === 'manifest' && inScope(f.path));
      const unchanged = new Set(manifests.filter((f) => onDisk.get(f.path) === f.content).map((f) => f.path));
      const [fromDisk, fromContent] = await Promise.all([early.get(cluster.name)!, kubeconformOnContent(root, cluster, manifests.filter((f) => !unchanged.has(f.path)))]);
      diagnostics.push(...verdictDiagnostics([...fromDisk.filter((v) => unchanged.has(v.file)), ...fromContent], manifests));
    }
    if (withDrift) {
      diagnostics.push(...driftDiagnostics(cluster.name, new Map(rendered.map((f) => [f.path, f.content])), onDisk).filter(comparable(workspace)));
    }
  }
  if (withDrift) {
    for (const name of await orphanClusterFolders(root, platform)) {
      diagnostics.push({ file: `${clustersDir}/${name}`, rule: 'drift', message: `no cluster definition platform/clusters/${name}.yaml renders this folder`, fix: `run \`${renderCommand}\` (it removes the folder) and commit` });
    }
  }
  return { diagnostics: diagnostics.filter((d) => inScope(d.file)), checkedFiles };
}

export interface RenderResult extends GateResult {
  /** Clusters whose folder now holds the fresh render. */
  written: string[];
  /** Files (repository paths) the render wrote or deleted: those that differed. */
  changed: string[];
}

const inCluster = (name: string, files: RenderedFile[]) => new Map(files.map((f) => [f.path.slice(`${clustersDir}/${name}/`.length), f.content]));

/**
 * Renders every cluster; stages what changed in every cluster folder and checks the new tree with
 * kubeconform: the committed files from the start, while the specs load and render (where a file comes
 * out unchanged, its verdicts are the render's), the changed ones as soon as they are staged, with the
 * other files written and the lint rules running meanwhile. Only when all of that passes is the change
 * committed, for every cluster at once. Any finding, or a failure, leaves clusters/ exactly as it was.
 */
export async function renderWorkspace(root: string): Promise<RenderResult> {
  const parent = join(root, clustersDir);
  const platform = await loadPlatformOrThrow(diskSource(root));
  const { clusters } = platform;
  const { committed, early } = await readCommitted(root, platform, () => true, true);

  const memo = openSerializationMemo(root) ?? new SerializationMemo();
  const workspace = await loadWorkspace(root, undefined, platform, { memo });
  // A spec that does not load renders nothing: report it with the rules' findings, before writing anything.
  if (workspace.diagnostics.length > 0) {
    await Promise.allSettled(early.values());
    return { ...rulesAndSchema(workspace, () => true), written: [], changed: [] };
  }

  const filesOf = (name: string) => workspace.rendered.get(name) ?? [];
  const inParent = new Map([...committed].map(([name, tree]) => [name, new Map([...tree].map(([path, content]) => [path.slice(`${clustersDir}/`.length), content]))]));
  let staged: StagedFolder[] = [];
  try {
    staged = await prepareStaging(parent, new Map(clusters.map(({ cluster }) => [cluster.name, inCluster(cluster.name, filesOf(cluster.name))])), inParent);
    const manifestsOf = new Map(clusters.map(({ cluster }) => [cluster.name, inCluster(cluster.name, filesOf(cluster.name).filter((f) => f.type === 'manifest'))]));
    const isManifest = (path: string, name: string) => manifestsOf.get(name)!.has(path);
    // The manifests first: kubeconform checks them while the other files are written and the rules run.
    await writeStaged(staged, isManifest);
    const running = clusters.map(({ cluster }, i) => {
      const changed = new Set(staged[i].written);
      const manifests = [...manifestsOf.get(cluster.name)!].map(([path, content]) => ({ path, content }));
      const prefix = `${clustersDir}/${cluster.name}/`;
      const unchanged = new Set(manifests.filter((f) => !changed.has(f.path)).map((f) => prefix + f.path));
      return Promise.all([
        kubeconformOnDisk(root, cluster, staged[i].folder, manifests.filter((f) => changed.has(f.path)), prefix),
        early.get(cluster.name)!.then((verdicts) => verdicts.filter((v) => unchanged.has(v.file))),
      ]);
    });
    running.forEach((verdicts) => verdicts.catch(() => undefined)); // awaited below; a failure must not surface as unhandled meanwhile
    const others = writeStaged(staged, (path, name) => !isManifest(path, name));
    others.catch(() => undefined); // awaited below, as above
    const checked = rulesAndSchema(workspace, () => true);
    await others;
    await saveSerializationMemo(root, memo);
    const verdicts = (await Promise.all(running)).flat(2);
    const diagnostics = [...checked.diagnostics, ...verdictDiagnostics(verdicts, [...workspace.rendered.values()].flat())];
    if (diagnostics.length > 0) {
      await discardStaged(staged);
      return { diagnostics, checkedFiles: checked.checkedFiles, written: [], changed: [] };
    }
    await commitStaged(parent, staged);
    for (const name of await orphanClusterFolders(root, workspace.platform)) await rm(join(parent, name), { recursive: true, force: true });
    const changed = staged.flatMap((s) => [...s.written, ...s.removed].map((path) => `${clustersDir}/${s.name}/${path}`)).sort();
    return { ...checked, written: staged.map((s) => s.name), changed };
  } catch (error) {
    await Promise.allSettled(early.values());
    await recoverInterruptedWrite(parent); // applies the plan if it was committed, else drops what was staged
    throw error;
  }
}
