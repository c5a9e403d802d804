import { DiagnosticError, type Diagnostic } from '@flyte-gkp/diagnostics';
import { loadPlatform, type Platform } from '@flyte-gkp/platform';
import { renderCluster, type ProjectInput, type RenderedFile, type RenderOptions } from '@flyte-gkp/render';
import { diskSource, loadProjectFile, type FileSource } from '@flyte-gkp/spec';

export const projectsDir = 'projects';
export const specExtensions = /\.(ya?ml|json)$/;

/** Everything the gate knows about a workspace, before any check beyond parsing and the schemas. */
export interface Workspace {
  root: string;
  platform: Platform;
  /** Specs that parsed and passed the schema. */
  projects: ProjectInput[];
  /** Every spec file found, valid or not. */
  specFiles: string[];
  /** Cluster name → what the valid specs render to. */
  rendered: Map<string, RenderedFile[]>;
  diagnostics: Diagnostic[];
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
 * Loads platform and specs and renders in memory. Platform errors stop here: nothing renders without it.
 * `files` defaults to the disk under `root`; a generator passes its virtual tree. `render.only` limits
 * the per-project output to those specs (every spec is still loaded: rules compare them all).
 */
export async function loadWorkspace(root: string, files: FileSource = diskSource(root), preloaded?: Platform, render: RenderOptions = {}): Promise<Workspace> {
  const platform = preloaded ?? (await loadPlatformOrThrow(files));
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
  const loadedSpecs = await Promise.all(specFiles.map((file) => loadProjectFile(files, file)));
  loadedSpecs.forEach((loaded, i) => {
    if (loaded.ok) projects.push({ ...loaded.value, file: specFiles[i] });
    else diagnostics.push(...loaded.diagnostics);
  });
  const rendered = new Map<string, RenderedFile[]>();
  for (const loadedCluster of platform.clusters) {
    rendered.set(loadedCluster.cluster.name, renderCluster(loadedCluster, platform.pins, projects, render));
  }
  return { root, platform, projects, specFiles, rendered, diagnostics };
}
