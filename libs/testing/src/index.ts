import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { parse, parseAllDocuments } from 'yaml';
import { chartFolder, helmSettings, helmTemplate, templateRequestOf, type ChartObject, type HelmApplication } from '@flyte-gkp/helm';
import type { Cluster } from '@flyte-gkp/platform';

/** The repository this code runs from. */
export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** The command line, as `npm run render|validate` runs it. */
export const cliEntry = 'tools/cli/run.mjs';

/** What a workspace needs to render, validate and run Nx; node_modules and .tools are linked, not copied. */
const workspaceFiles = ['package.json', 'package-lock.json', 'nx.json', '.env', 'tsconfig.base.json', 'tsconfig.json', 'libs', 'tools/cli', 'tools/nx-plugin', 'tools/toolchain.json'];

export interface TempWorkspace {
  root: string;
  /** Runs the real CLI (`render` / `validate` ...) in the workspace; never throws on a non-zero exit. */
  cli(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  remove(): Promise<void>;
}

/**
 * A temporary folder holding a copy of this repository's platform/ and a link to its installed tools:
 * enough for the CLI run with `--root`, or the libraries given that root.
 */
export async function createPlatformFolder(prefix = 'flyte-gkp-'): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  await cp(join(repoRoot, 'platform'), join(root, 'platform'), { recursive: true });
  await symlink(join(repoRoot, '.tools'), join(root, '.tools'));
  return root;
}

/**
 * A copy of this repository's workspace in a temporary folder: its platform, its code, and (unless told
 * otherwise) its example specs and rendered clusters/.
 */
export async function createTempWorkspace(options: { examples?: boolean } = {}): Promise<TempWorkspace> {
  const root = await createPlatformFolder('flyte-gkp-ws-');
  const copied = options.examples === false ? workspaceFiles : [...workspaceFiles, 'projects', 'clusters'];
  for (const entry of copied) {
    await cp(join(repoRoot, entry), join(root, entry), { recursive: true, filter: (src) => !src.includes(`${join('tools', 'bench', 'results')}`) });
  }
  await symlink(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  return {
    root,
    cli: async (...args) => {
      const result = await execa(process.execPath, [join(root, cliEntry), ...args], { cwd: root, reject: false });
      return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** Makes the workspace a git repository whose first commit, on main, holds everything but the installed tools. */
export async function commitWorkspace(root: string): Promise<void> {
  await writeFile(join(root, '.gitignore'), 'node_modules\n.tools\n.nx\n');
  await git(root, 'init', '-q', '-b', 'main');
  await git(root, 'add', '-A');
  await git(root, 'commit', '-q', '-m', 'base');
}

/** Runs git in `cwd` as a throwaway identity. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execa('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd });
  return stdout;
}

/**
 * The flyte chart as Argo CD renders it from the COMMITTED files of a workspace: the platform
 * Application's Helm source (release name, destination namespace, value files), the chart that
 * `npm run setup` installs, the cluster's Kubernetes version.
 */
export async function renderCommittedChart(root = repoRoot, clusterName = 'gkp-dev'): Promise<ChartObject[]> {
  const clusterFile = parse(await readFile(join(root, 'platform/clusters', `${clusterName}.yaml`), 'utf8')) as Cluster;
  const applications = parseAllDocuments(await readFile(join(root, 'clusters', clusterName, 'platform/application.yaml'), 'utf8')).map((d) => d.toJS() as HelmApplication & { kind: string });
  const application = applications.find((a) => a.kind === 'Application' && (a.spec.sources ?? []).some((s) => s.chart));
  if (!application) throw new Error(`no Application with a chart source in clusters/${clusterName}/platform/application.yaml`);
  const chartDir = chartFolder(root, clusterFile.flyte.chart, clusterFile.flyte.chartVersion);
  return helmTemplate(templateRequestOf(application, { chartDir, kubeVersion: clusterFile.kubernetesVersion, refs: { values: root } }), helmSettings(root));
}
