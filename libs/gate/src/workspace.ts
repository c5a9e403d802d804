import { DiagnosticError, type Diagnostic } from '@flyte-gkp/diagnostics';
import type { PartialSpec } from '@flyte-gkp/lint';
import { loadPlatform, type Platform } from '@flyte-gkp/platform';
import {
  renderCluster,
  renderCodeowners,
  type ProjectInput,
  type RenderedFile,
  type RenderOptions,
} from '@flyte-gkp/render';
import { loadProjectFile, type FileSource, type LoadMemo, type SourceDocument } from '@flyte-gkp/project-spec';
import { diskTree, treeSource } from './read-tree.js';

export const projectsDir = 'projects';
export const specExtensions = /\.(ya?ml|json)$/;

/** Stage 2 of the gate, "load": the platform and every spec, each with its source for positions. */
export interface Loaded {
  platform: Platform;
  /** Specs that parsed and passed the schema. */
  projects: ProjectInput[];
  /** Specs that parsed but failed the schema. */
  refusedSpecs: SourceDocument[];
  /** Those that are mappings, with the paths the schema refused: the rules check the rest. */
  partialSpecs: PartialSpec[];
  /** Every spec file found, valid or not. */
  specFiles: string[];
  /** Schema and parse findings of the specs, and files in projects/ that are not specs. */
  diagnostics: Diagnostic[];
}

/** Everything the gate knows about a workspace, before any check beyond parsing and the schemas. */
export interface Workspace extends Loaded {
  root: string;
  /** Spec files of the base or the last commit (see LintContext): a clash is reported on the newcomer. */
  established?: ReadonlySet<string>;
  /** Stage 3, "render": cluster name → what the valid specs render to, each file with its provenance. */
  rendered: Map<string, RenderedFile[]>;
  /** `.github/CODEOWNERS` rendered from the cluster files and every valid spec. */
  codeowners: string;
}

/** Nothing renders without the platform: its findings stop the gate. */
export async function loadPlatformOrThrow(files: FileSource): Promise<Platform> {
  const result = await loadPlatform(files);
  if (!result.ok) throw new DiagnosticError(result.diagnostics);
  return result.platform;
}

export async function listSpecFiles(files: FileSource): Promise<string[]> {
  return specFilesIn(await files.list(projectsDir));
}

const specFilesIn = (names: string[]) => names.filter((n) => specExtensions.test(n)).map((n) => `${projectsDir}/${n}`);

/**
 * Loads every spec under projects/ (the platform is loaded first: nothing renders without it); `memo`
 * spares parsing a spec that loaded before as it is.
 */
export async function loadSpecs(files: FileSource, platform: Platform, memo?: LoadMemo): Promise<Loaded> {
  const names = await files.list(projectsDir);
  const specFiles = specFilesIn(names);
  const diagnostics: Diagnostic[] = names
    .filter((name) => !specExtensions.test(name))
    .map((name) => ({
      file: `${projectsDir}/${name}`,
      line: 1,
      column: 1,
      rule: 'naming/file-name',
      message: 'not a spec file: projects/ holds only <id>.yaml, <id>.yml or <id>.json',
      fix: 'rename it with one of those endings (lower case), or move it out of projects/',
    }));
  const projects: ProjectInput[] = [];
  const refusedSpecs: SourceDocument[] = [];
  const partialSpecs: PartialSpec[] = [];
  const loadedSpecs = await Promise.all(specFiles.map((file) => loadProjectFile(files, file, memo)));
  loadedSpecs.forEach((loaded, i) => {
    if (loaded.ok) projects.push({ ...loaded.value, file: specFiles[i] });
    else {
      diagnostics.push(...loaded.diagnostics);
      if (loaded.source) refusedSpecs.push(loaded.source);
      if (loaded.source && loaded.rejected)
        partialSpecs.push({ file: specFiles[i], source: loaded.source, rejected: loaded.rejected });
    }
  });
  return { platform, projects, refusedSpecs, partialSpecs, specFiles, diagnostics };
}

/**
 * Stage 3, "render": pure, in memory. `options.only` limits the per-project output to those specs (every
 * spec is still loaded: rules compare them all); `options.memo` spares serializing a text known already.
 */
export function renderClusters(loaded: Loaded, options: RenderOptions = {}): Map<string, RenderedFile[]> {
  return new Map(
    loaded.platform.clusters.map((cluster) => [
      cluster.cluster.name,
      renderCluster(cluster, loaded.platform.pins, loaded.projects, options),
    ]),
  );
}

/** The review rule of the whole repository: every spec's reviewers, whatever a focused render renders. */
export const renderRepositoryCodeowners = (loaded: Loaded): string =>
  renderCodeowners(loaded.platform.clusters, loaded.projects);

/**
 * Load and render in one call, for the generator and the tests. `files` defaults to the working tree
 * under `root` as the gate reads it (regular files only, links not followed).
 */
export async function loadWorkspace(
  root: string,
  files?: FileSource,
  preloaded?: Platform,
  render: RenderOptions = {},
): Promise<Workspace> {
  const source = files ?? treeSource(await diskTree(root).read([projectsDir, 'platform']));
  const platform = preloaded ?? (await loadPlatformOrThrow(source));
  const loaded = await loadSpecs(source, platform);
  return { root, ...loaded, rendered: renderClusters(loaded, render), codeowners: renderRepositoryCodeowners(loaded) };
}
