/**
 * The validation gate: one pipeline for `validate` (runGate) and `render` (renderWorkspace).
 *
 *   read tree ──► load ──► render ──► check ──► compare with base ──► report (validate, plan)
 *                                       │                           commit (render, only when no check
 *                                       │                                   found anything)
 *                                       └ tree, rules, kubeconform, drift
 *
 * 1. read tree (read-tree.ts): every entry under platform/, projects/ and clusters/, typed as git would
 *    (file, symlink, directory, other), links never followed. A TreeReader: the disk, or a git revision
 *    (git-tree.ts). Nothing else reads the checkout, and validate never writes to it.
 * 2. load (workspace.ts): the platform and every spec from that tree, each with its source for positions.
 * 3. render (workspace.ts): in memory; every RenderedFile carries its provenance (type, spec, sources).
 * 4. check: tree-stage.ts (every entry is checked or a finding: links, FIFOs, strays, render state),
 *    rules-stage.ts (schema and lint), kubeconform-stage.ts (the real kubeconform on every manifest),
 *    chart-stage.ts (the flyte chart built by kustomize and helm as Argo CD will, and checked),
 *    drift-stage.ts (clusters/ is exactly the render). Each returns findings.
 * 5. compare with base (compare-stage.ts; `plan`, `validate --base`): the tree at the base revision, read
 *    from git's objects (git-tree.ts), against the render, object by object, with the chart's objects
 *    (rendered on both sides, concurrently, where its input differs); blocking risks are findings.
 * 6. report: findings and the files they cover, for the CLI to format; or commit-stage.ts: render, one at
 *    a time under its lock, stages what changed in every cluster folder, checks it there, and commits it
 *    all at once (libs/output: a failed step puts every folder back), then compares what it wrote with the
 *    last commit as step 5 would (`validate --base HEAD`), as advice.
 *
 * Order and concurrency are decided here alone: kubeconform starts on the committed files as soon as the
 * tree is listed, and runs while the specs load, render and lint; the chart stage starts as soon as the
 * values are rendered, beside kubeconform on our own files. Caches sit behind their stage: the
 * verdict cache behind kubeconform, the memos (memo-store.ts) behind load (parsed specs) and render (YAML texts),
 * and render's own verdict (render-verdict-cache.ts) behind the whole of render: the input of a render that
 * passed and changed nothing is not checked again.
 */
import { DiagnosticError, type Diagnostic } from '@flyte-gkp/diagnostics';
import { acquireWrite, ForeignStateError, type WriteSession } from '@flyte-gkp/output';
import { codeownersPath, SerializationMemo } from '@flyte-gkp/render';
import { Memo, type FileSource } from '@flyte-gkp/project-spec';
import type { Reviews } from '@flyte-gkp/plan';
import {
  clusterWideTouched,
  compareWithBase,
  riskDiagnostics,
  specsToRender,
  touchedProjects,
  type Compared,
  type Touched,
} from './compare-stage.js';
import { collapseConsequences } from './causes.js';
import { checkChart, type ChartCheck } from './chart-stage.js';
import { checkCodeowners, committedCodeowners, stageCodeowners, type StagedCodeowners } from './codeowners-stage.js';
import { clustersFolder, commitRender, stageRender, writeStagedFiles, type Staged } from './commit-stage.js';
import { checkDrift, committedFiles, committedPaths, orphanClusterFolders, orphanDiagnostics } from './drift-stage.js';
import {
  checkKubeconform,
  checkKubeconformStaged,
  kubeconformCommitted,
  noVerdicts,
  type EarlyVerdicts,
} from './kubeconform-stage.js';
import { changedSince, gitTree, resolveCommit, type GitRepoTree } from './git-tree.js';
import { diskTree, treeFolders, treeSource, type RepoTree, type TreeReader } from './read-tree.js';
import { reviewsOf } from './review-stage.js';
import { checkRules, type Checked } from './rules-stage.js';
import { comparable, everything, scope } from './scope.js';
import { bundleId, loadMemo, openMemo, openProjectTexts, saveMemo, serializationMemo } from './memo-store.js';
import { openRenderVerdict } from './render-verdict-cache.js';
import { checkTree } from './tree-stage.js';
import {
  listSpecFiles,
  loadPlatformOrThrow,
  loadSpecs,
  projectsDir,
  renderClusters,
  renderRepositoryCodeowners,
  specExtensions,
  type Loaded,
  type Workspace,
} from './workspace.js';

export interface GateOptions {
  /** Spec files (repository-relative) to report on; undefined means the whole workspace. */
  focus?: string[];
  /** kubeconform on our manifests and the chart stage (kustomize and helm, then the same checks on the output) */
  kubeconform?: boolean;
  drift?: boolean;
  /** Where to read platform and specs from instead of the tree (a generator's virtual tree). */
  files?: FileSource;
  /** Where to read the tree from (default: the disk under root). */
  tree?: TreeReader;
  /** A git revision to compare with: the blocking risks of the change since then are findings. */
  base?: string;
}

export type GateResult = Checked;

const emptyTree: RepoTree = { entries: new Map(), bytes: () => undefined };

/** The validation gate: tree, schema, lint, kubeconform and drift; all findings at once. Reads, never writes. */
export async function runGate(root: string, options: GateOptions = {}): Promise<GateResult> {
  const focus = options.focus ? new Set(options.focus) : undefined;
  const withKubeconform = options.kubeconform !== false;
  const withDrift = options.drift !== false;

  // 1. read tree (and the base's, from git, while the disk is read); a generator's virtual files stand for
  // platform/ and projects/ when it checks no output
  const baseTree = options.base === undefined ? undefined : readBase(root, options.base);
  baseTree?.catch(() => undefined); // awaited below; a failure must not surface as unhandled meanwhile
  const tree =
    options.files && !withKubeconform && !withDrift
      ? emptyTree
      : await (options.tree ?? diskTree(root)).read(treeFolders);
  const files = options.files ?? treeSource(tree);

  // 2. load the platform, then start kubeconform on the committed files: it runs during load, render and lint
  const platform = await loadPlatformOrThrow(files);
  const inScope = scope(focus, await listSpecFiles(files));
  const paths = withKubeconform || withDrift ? committedPaths(tree, platform, inScope) : new Map<string, string[]>();
  const early: EarlyVerdicts = withKubeconform ? kubeconformCommitted(root, platform, tree, paths) : noVerdicts();
  const committed = committedFiles(tree, paths);
  const loaded = await loadSpecs(files, platform, openMemo(root, loadMemo));
  const establishing = establishedSpecs(root, baseTree); // git reads it while the specs render

  // 3. render: a focused check renders only the focused projects, one change costs one project, not all
  // (too little to gain from the memo, which costs a read of every text it knows)
  const rendered = renderClusters(loaded, {
    only: focus,
    memo: focus ? undefined : openMemo(root, serializationMemo),
    projectTexts: focus ? undefined : openProjectTexts(root, platform),
  });
  const workspace: Workspace = {
    root,
    ...loaded,
    established: await establishing,
    rendered,
    codeowners: renderRepositoryCodeowners(loaded),
  };

  // 4. check: the chart builds beside everything else
  const charts = withKubeconform ? startChartChecks(workspace) : [];
  const { diagnostics, checkedFiles } = checkRules(workspace, inScope);
  diagnostics.push(...checkTree(tree, platform));
  for (const { cluster } of platform.clusters) {
    const rendered = workspace.rendered.get(cluster.name) ?? [];
    const onDisk = committed.get(cluster.name) ?? new Map<string, string>();
    if (withKubeconform) {
      const manifests = rendered.filter((f) => f.type === 'manifest' && inScope(f.path));
      diagnostics.push(...(await checkKubeconform(root, cluster, manifests, onDisk, early.get(cluster.name)!)));
    }
    if (withDrift) diagnostics.push(...checkDrift(cluster.name, rendered, onDisk).filter(comparable(workspace)));
  }
  if (withDrift) {
    diagnostics.push(...orphanDiagnostics(tree, platform));
    diagnostics.push(...checkCodeowners(tree, platform, workspace.codeowners).filter(comparable(workspace)));
  }
  for (const chart of await Promise.all(charts)) diagnostics.push(...chart.diagnostics);

  // 5. compare with base: a spec removed since belongs to no spec, so to the cluster-wide check
  const removedSpec = (file: string) =>
    file.startsWith('projects/') && !tree.entries.has(file) && (!focus || focus.size === 0);
  // A spec that does not load renders nothing: compared, it would read as removed. Its findings come first.
  if (baseTree && loaded.diagnostics.length > 0) await baseTree;
  else if (baseTree) {
    // Every spec is loaded here: the files that list them all are compared too.
    const base = await baseTree;
    diagnostics.push(
      ...(await planAgainst(root, base, loaded, { ...touchedProjects(base.changed), clusterWide: true })).blocking,
    );
  }

  // 6. report
  return {
    diagnostics: collapseConsequences(diagnostics, loaded.specFiles).filter(
      (d) => inScope(d.file) || removedSpec(d.file),
    ),
    checkedFiles,
  };
}

/**
 * The spec files of the base, or else of the last commit: a clash is reported on the spec that brings it
 * in. Undefined outside a git repository or before its first commit.
 */
async function establishedSpecs(root: string, base?: Promise<Base>): Promise<Set<string> | undefined> {
  const specsOf = (tree: RepoTree) => new Set([...tree.entries.keys()].filter((p) => p.startsWith(`${projectsDir}/`)));
  try {
    if (base) return specsOf((await base).tree);
    return specsOf(await gitTree(root, await resolveCommit(root, 'HEAD')).read([projectsDir]));
  } catch {
    return undefined; // the base's own failure is reported where it is awaited for the comparison
  }
}

interface Base {
  commit: string;
  tree: GitRepoTree;
  /** Paths that differ in the working tree from the base. */
  changed: string[];
}

async function readBase(root: string, revision: string): Promise<Base> {
  const commit = await resolveCommit(root, revision);
  const [tree, changed] = await Promise.all([
    gitTree(root, commit).read(treeFolders),
    changedSince(root, commit, treeFolders),
  ]);
  return { commit, tree, changed };
}

/**
 * Render what the change touches (a project whose spec or output changed, or all when the platform did) and compare.
 */
async function planAgainst(
  root: string,
  base: Base,
  loaded: Loaded,
  touched: Touched,
): Promise<Compared & { blocking: Diagnostic[] }> {
  const rendered = renderClusters(loaded, { only: specsToRender(loaded, touched) });
  const compared = await compareWithBase(base.tree, rendered, touched, {
    root,
    clusters: loaded.platform.clusters.map((c) => c.cluster),
  });
  return { ...compared, blocking: riskDiagnostics(compared.risks, base.tree, loaded) };
}

/**
 * What `validate --base HEAD` would refuse in the checkout render just wrote: the blocking risks of the
 * change since the last commit (a protected namespace removed), in validate's own words, from the specs
 * render loaded. Render writes what the specs say all the same; the warning spares learning it from CI.
 * Empty outside a git repository.
 */
async function blockingSinceLastCommit(root: string, load: () => Promise<Loaded>): Promise<Diagnostic[]> {
  let base: Base;
  try {
    base = await readBase(root, 'HEAD');
  } catch {
    return [];
  }
  const touched = touchedProjects(base.changed);
  if (!touched.all && touched.projects.size === 0) return [];
  // Namespaces are each project's own files: the files every project shares need no comparison here.
  return (await planAgainst(root, base, await load(), { ...touched, clusterWide: false })).blocking;
}

/**
 * blockingSinceLastCommit as render reports it: a failure to tell is said, never a reason to fail. The
 * specs are asked for only when something changed since the last commit.
 */
const adviceSinceLastCommit = (root: string, load: () => Promise<Loaded>): Promise<RenderResult['sinceLastCommit']> =>
  blockingSinceLastCommit(root, load).then(
    (refusedHere) => ({ refused: refusedHere }),
    (failed: unknown) => ({ failed }),
  );

export interface PlanResult extends Compared {
  base: { revision: string; commit: string };
  reviews: Reviews;
}

/**
 * `plan`: read tree here and at the base → load → render what the change touches → compare with base.
 * No check runs (validate does that); specs that do not load stop it with their findings.
 */
export async function planWorkspace(root: string, revision: string): Promise<PlanResult> {
  const [base, tree] = await Promise.all([readBase(root, revision), diskTree(root).read(treeFolders)]);
  const files = treeSource(tree);
  const platform = await loadPlatformOrThrow(files);
  const touched = touchedProjects(base.changed);
  const specFiles = await listSpecFiles(files);
  touched.clusterWide = await clusterWideTouched(touched, specFiles, base.tree, files);
  // Only the touched specs are loaded when no file listing every project can change.
  const touchedSpecs = specFiles.filter((f) =>
    touched.projects.has(f.slice(`${projectsDir}/`.length).replace(specExtensions, '')),
  );
  const specs: FileSource = touched.clusterWide
    ? files
    : {
        ...files,
        list: async (dir) => (dir === projectsDir ? touchedSpecs.map((f) => f.slice(dir.length + 1)) : files.list(dir)),
      };
  const loaded = await loadSpecs(specs, platform);
  if (loaded.diagnostics.length > 0) throw new DiagnosticError(loaded.diagnostics);
  const [{ changes, risks }, reviews] = await Promise.all([
    planAgainst(root, base, loaded, touched),
    reviewsOf(base.changed, base.tree, files, platform),
  ]);
  return { base: { revision, commit: base.commit }, changes, risks, reviews };
}

/** The chart stage of every cluster, started at once; a failure must not surface as unhandled before it is awaited. */
function startChartChecks(workspace: Workspace): Promise<ChartCheck>[] {
  const running = workspace.platform.clusters.map(({ cluster }) =>
    checkChart(workspace.root, cluster, workspace.platform.pins, workspace.rendered.get(cluster.name) ?? []),
  );
  for (const check of running) check.catch(() => undefined);
  return running;
}

export interface RenderResult extends GateResult {
  /** Clusters whose folder now holds the fresh render. */
  written: string[];
  /** Files (repository paths) the render wrote or deleted: those that differed. */
  changed: string[];
  /**
   * After a render that was written: what `validate --base HEAD` refuses in it (advice: render writes it all
   * the same), or why that could not be told.
   */
  sinceLastCommit: { refused: Diagnostic[] } | { failed: unknown };
}

const refused = (diagnostics: Diagnostic[], checkedFiles: string[] = []): RenderResult => ({
  diagnostics,
  checkedFiles,
  written: [],
  changed: [],
  sinceLastCommit: { refused: [] },
});

/**
 * Renders every cluster, one render at a time (a second one fails at once: RenderBusyError); stages what
 * changed in every cluster folder and checks the new tree with kubeconform: the committed files from the
 * start, while the specs load and render (where a file comes out unchanged, its verdicts are the
 * render's), the changed ones as soon as they are staged, with the other files written and the lint
 * rules running meanwhile. Only when all of that passes is the change committed, for every cluster at
 * once. Any finding, or a failure, leaves clusters/ exactly as it was.
 */
export async function renderWorkspace(root: string): Promise<RenderResult> {
  let session: WriteSession;
  try {
    session = await acquireWrite(clustersFolder(root)); // recovers what a killed render of this machine left
  } catch (error) {
    if (!(error instanceof ForeignStateError)) throw error;
    const fix =
      error.kind === 'link'
        ? 'replace the link with the folder itself'
        : 'never commit it; if no render is running, delete it';
    return refused([
      {
        file: error.path,
        rule: error.kind === 'link' ? 'tree/symlink' : 'tree/render-state',
        message: error.message,
        fix,
      },
    ]);
  }
  let staged: Staged | undefined;
  let early = noVerdicts();
  let charts: Promise<ChartCheck>[] = [];
  let codeowners: StagedCodeowners | undefined;
  try {
    // 1. read tree
    const tree = await diskTree(root).read(treeFolders);
    const files = treeSource(tree);

    // 2. load, with kubeconform started on the committed files meanwhile; unless a render that passed and
    // changed nothing had this very input (render-verdict-cache.ts): then there is nothing to check or write
    const platform = await loadPlatformOrThrow(files);
    const verdict = openRenderVerdict(root, platform, tree, bundleId());
    if (verdict?.known) {
      const load = () => loadSpecs(files, platform, openMemo(root, loadMemo));
      return {
        diagnostics: [],
        ...verdict.known,
        changed: [],
        sinceLastCommit: await adviceSinceLastCommit(root, load),
      };
    }
    const paths = committedPaths(tree, platform, everything);
    early = kubeconformCommitted(root, platform, tree, paths);
    const committed = committedFiles(tree, paths);
    const specMemo = openMemo(root, loadMemo) ?? new Memo<string>();
    const loaded = await loadSpecs(files, platform, specMemo);

    // 3. render
    const memo = openMemo(root, serializationMemo) ?? new SerializationMemo();
    const establishing = establishedSpecs(root); // git reads it while the specs render
    const projectTexts = openProjectTexts(root, platform);
    const rendered = renderClusters(loaded, { memo, projectTexts });
    const workspace: Workspace = {
      root,
      ...loaded,
      established: await establishing,
      rendered,
      codeowners: renderRepositoryCodeowners(loaded),
    };
    // A spec that does not load renders nothing, and a tree with anything the gate cannot check is not
    // written to: report it with the rules' findings, before writing anything.
    const treeFindings = [
      ...checkTree(tree, platform, { ownsRenderState: true }),
      ...checkCodeowners(tree, platform, workspace.codeowners).filter((d) => d.rule !== 'drift'),
    ];
    if (workspace.diagnostics.length > 0 || treeFindings.length > 0) {
      const checked = checkRules(workspace, everything);
      return refused([...checked.diagnostics, ...treeFindings], checked.checkedFiles);
    }
    charts = startChartChecks(workspace);

    // 4. check, on the staged render: the manifests first, kubeconform checks them while the other files
    // are written and the rules run
    staged = await stageRender(session, workspace.rendered, committed);
    await writeStagedFiles(staged, staged.isManifest);
    const running = platform.clusters.map(({ cluster }) => {
      const manifests = (workspace.rendered.get(cluster.name) ?? []).filter((f) => f.type === 'manifest');
      const folder = staged!.folders.find((f) => f.name === cluster.name)!;
      return checkKubeconformStaged(root, cluster, folder, manifests, early.get(cluster.name)!);
    });
    // awaited below; a failure must not surface as unhandled meanwhile
    for (const findings of running) findings.catch(() => undefined);
    const others = writeStagedFiles(staged, (path, name) => !staged!.isManifest(path, name));
    others.catch(() => undefined); // awaited below, as above
    const checked = checkRules(workspace, everything);
    await others;
    await Promise.all([
      saveMemo(root, serializationMemo, memo),
      saveMemo(root, loadMemo, specMemo),
      projectTexts && saveMemo(root, projectTexts.kind, projectTexts.memo),
    ]);
    const diagnostics: Diagnostic[] = [
      ...checked.diagnostics,
      ...(await Promise.all(running)).flat(),
      ...(await Promise.all(charts)).flatMap((c) => c.diagnostics),
    ];

    // 5. commit, or leave clusters/ and CODEOWNERS as they were: CODEOWNERS is written aside first and
    // renamed into place right after the cluster folders (a kill between the two leaves drift that
    // validate reports and the next render repairs)
    if (diagnostics.length > 0)
      return refused(collapseConsequences(diagnostics, loaded.specFiles), checked.checkedFiles);
    codeowners = await stageCodeowners(root, workspace.codeowners, committedCodeowners(tree));
    const changed = await commitRender(staged, orphanClusterFolders(tree, platform));
    await codeowners.commit();
    const written = staged.folders.map((s) => s.name);
    // Nothing changed: the input read at the start is the checkout as the render leaves it.
    if (changed.length === 0 && !codeowners.changed)
      await verdict?.rememberPass({ checkedFiles: checked.checkedFiles, written });

    // 6. compare with the last commit, as validate --base HEAD would: advice, never a reason to fail
    return {
      ...checked,
      written,
      changed: codeowners.changed ? [...changed, codeownersPath].sort() : changed,
      sinceLastCommit: await adviceSinceLastCommit(root, () => Promise.resolve(loaded)),
    };
  } finally {
    await codeowners?.drop();
    await Promise.allSettled([...early.values(), ...charts]);
    await session.release(); // drops what was staged and not committed, and the lock
  }
}
