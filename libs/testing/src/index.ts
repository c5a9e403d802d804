import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { parse } from 'yaml';
import { chartFolder, type ChartObject } from '@flyte-gkp/helm';
import { buildChartFolder, inflatedChart, kustomizeSettings, type Kustomization } from '@flyte-gkp/kustomize';
import type { Cluster } from '@flyte-gkp/platform';
import { loadProjectText } from '@flyte-gkp/project-spec';
import type { ProjectInput } from '@flyte-gkp/render';

/** The repository this code runs from. */
export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** A valid spec of project `id` as the renderer takes it: owner group, bucket and Secret named after the id. */
export function exampleProject(id: string): ProjectInput {
  const file = `projects/${id}.yaml`;
  const text = `apiVersion: flytepoc.gkp.io/v1alpha1
kind: FlyteProject
id: ${id}
displayName: Project ${id}
owners: [{ group: gkp-103020-team-${id}, role: admin }]
storage: { bucket: 103020-flytepoc-${id}, credentialsSecret: mercury-${id} }
`;
  const loaded = loadProjectText(file, text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return { ...loaded.value, file };
}

/** The command line, as `npm run render|validate` runs it. */
export const cliEntry = 'tools/cli/run.mjs';

/** What a workspace needs to render, validate and run Nx; node_modules and .tools are linked, not copied. */
const workspaceFiles = [
  'package.json',
  'package-lock.json',
  'nx.json',
  '.env',
  'tsconfig.base.json',
  'tsconfig.json',
  'libs',
  'tools/cli',
  'tools/nx-plugin',
  'tools/toolchain.json',
];

export interface TempWorkspace {
  root: string;
  /** Runs the real CLI (`render` / `validate` ...) in the workspace; never throws on a non-zero exit. */
  cli(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  remove(): Promise<void>;
}

/**
 * A temporary folder holding a copy of this repository's platform/ and a link to its installed tools:
 * enough for the CLI run with `--root`, or the libraries given that root. The caches under .tools/cache/
 * are the repository's too, unless `ownCaches`.
 */
export async function createPlatformFolder(prefix = 'flyte-gkp-', { ownCaches = false } = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  await cp(join(repoRoot, 'platform'), join(root, 'platform'), { recursive: true });
  if (!ownCaches) await symlink(join(repoRoot, '.tools'), join(root, '.tools'));
  else {
    // The repository's tools, and caches (and a CLI bundle) of its own, which its tests can count.
    await mkdir(join(root, '.tools'));
    for (const entry of ['bin', 'charts', 'schemas'])
      await symlink(join(repoRoot, '.tools', entry), join(root, '.tools', entry));
  }
  return root;
}

/**
 * A copy of this repository's workspace in a temporary folder: its platform, its code, and (unless told
 * otherwise) its example specs and what is rendered from them: clusters/ and .github/ (CODEOWNERS).
 */
export async function createTempWorkspace(
  options: { examples?: boolean; ownCaches?: boolean } = {},
): Promise<TempWorkspace> {
  const root = await createPlatformFolder('flyte-gkp-ws-', { ownCaches: options.ownCaches });
  const copied = options.examples === false ? workspaceFiles : [...workspaceFiles, 'projects', 'clusters', '.github'];
  for (const entry of copied) {
    await cp(join(repoRoot, entry), join(root, entry), {
      recursive: true,
      filter: (src) => !src.includes(`${join('tools', 'bench', 'results')}`),
    });
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
  const { stdout } = await execa(
    'git',
    ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args],
    { cwd },
  );
  return stdout;
}

/**
 * The flyte chart as Argo CD builds it from the COMMITTED files of a workspace: the platform folder's
 * kustomization and the values file it names, built by the real kustomize and helm with the chart that
 * `npm run setup` installs and the cluster's Kubernetes version. What Argo CD applies, post-render included.
 */
export async function renderCommittedChart(root = repoRoot, clusterName = 'gkp-dev'): Promise<ChartObject[]> {
  const clusterFile = parse(await readFile(join(root, 'platform/clusters', `${clusterName}.yaml`), 'utf8')) as Cluster;
  const folder = join(root, 'clusters', clusterName, 'platform');
  const kustomization = await readFile(join(folder, 'kustomization.yaml'), 'utf8');
  const chart = inflatedChart(parse(kustomization) as Kustomization);
  const named = [chart.valuesFile, ...((parse(kustomization) as Kustomization).resources ?? [])];
  const files = [
    { name: 'kustomization.yaml', content: kustomization },
    ...(await Promise.all(named.map(async (name) => ({ name, content: await readFile(join(folder, name), 'utf8') })))),
  ];
  const request = {
    files,
    kubeVersion: clusterFile.kubernetesVersion,
    chartDir: chartFolder(root, chart.name, chart.version),
  };
  return (await buildChartFolder(request, kustomizeSettings(root))).objects;
}
export { ownersOf, parseCodeowners, ruleFor, type CodeownersRule } from './codeowners.js';
