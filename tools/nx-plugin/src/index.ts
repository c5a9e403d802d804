import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import {
  createNodesFromFiles,
  type CreateNodesContextV2,
  type CreateNodesV2,
  type ProjectConfiguration,
  type TargetConfiguration,
} from '@nx/devkit';

/**
 * Nx projects inferred from the workspace files:
 * - one per spec, rooted at the spec file itself (two specs never share a root), with `validate` and `render`;
 * - one per rendered project folder clusters/<cluster>/projects/<id>/, which the spec depends on, so a
 *   hand edit there marks the spec affected and its `validate` runs the drift check;
 * - one per cluster, rooted at clusters/<cluster>/, whose `validate` covers the files no spec owns;
 * - one rooted at projects/ (`projects-folder`), whose `validate` is the same shared check: any entry of
 *   projects/ that is no spec (a stray file, a folder, a link) belongs to it, so it fails the pull request
 *   that adds it; and one rooted at clusters/ (`clusters-folder`, no targets) that it depends on, so an
 *   entry beside the cluster folders (a committed plan, a stray) runs it too.
 */
const specPattern = /^projects\/[^/]+\.(ya?ml|json)$/;
const cli = 'node tools/cli/run.mjs';
/**
 * `nx affected` does not hand its --base to the tasks it runs; NX_BASE, which it reads as its base when
 * no --base is given, reaches them unchanged. Set, validate also fails on the change's blocking risks.
 */
const againstBase = '${NX_BASE:+--base="$NX_BASE"}';

/**
 * Platform, schemas, the gate's code and the pinned tools (helm, kustomize, kubeconform, the flyte chart's digest).
 * Nx treats `{workspaceRoot}` inputs as global: a change there re-validates every project, on purpose.
 * A spec's own file needs no input: its root maps it already.
 */
const sharedInputs = [
  '{workspaceRoot}/platform/**/*',
  '{workspaceRoot}/libs/**/*',
  '{workspaceRoot}/tools/cli/**/*',
  '{workspaceRoot}/tools/toolchain.json',
  '{workspaceRoot}/package-lock.json',
];

export const specProjectName = (id: string) => `flyte-${id}`;
export const outputProjectName = (cluster: string, id: string) => `flyte-${id}-output-${cluster}`;
export const clusterProjectName = (cluster: string) => `cluster-${cluster}`;
/** Not `flyte-<id>`: no spec id can take these names. */
export const projectsFolderName = 'projects-folder';
export const clustersFolderName = 'clusters-folder';

function clusterNames(context: CreateNodesContextV2): string[] {
  try {
    return readdirSync(`${context.workspaceRoot}/platform/clusters`)
      .filter((n) => /\.ya?ml$/.test(n))
      .map((n) => n.replace(/\.ya?ml$/, ''))
      .sort();
  } catch {
    return [];
  }
}

function command(args: string, description: string, extra: Partial<TargetConfiguration> = {}): TargetConfiguration {
  return {
    command: `${cli} ${args}`,
    options: { cwd: '{workspaceRoot}' },
    cache: false,
    metadata: { description },
    ...extra,
  };
}

/** One render covers every project: the targets share it and never run two at once. */
const renderTarget = command(
  'render',
  'Render every cluster from projects/ and platform/ (validated first, written atomically).',
  { parallelism: false },
);

function specNodes(file: string, clusters: string[]): Record<string, ProjectConfiguration> {
  const id = basename(file).replace(/\.(ya?ml|json)$/, '');
  const outputs = Object.fromEntries(
    clusters.map((cluster) => [
      `clusters/${cluster}/projects/${id}`,
      {
        root: `clusters/${cluster}/projects/${id}`,
        name: outputProjectName(cluster, id),
        tags: ['flyte-output'],
        targets: {},
      },
    ]),
  );
  return {
    [file]: {
      root: file,
      name: specProjectName(id),
      projectType: 'application',
      tags: ['flyte-project'],
      implicitDependencies: clusters.map((cluster) => outputProjectName(cluster, id)),
      targets: {
        validate: command(
          `validate --project ${file} ${againstBase}`,
          `Validate ${file} and what it renders: schema, lint, kubeconform, drift.`,
          { inputs: sharedInputs },
        ),
        render: renderTarget,
      },
    },
    ...outputs,
  };
}

const sharedCheck = (what: string, inputs: string[]) =>
  command(`validate --shared-only ${againstBase}`, `Validate what no single spec owns: ${what}.`, {
    inputs: [...inputs, ...sharedInputs],
  });

function clusterNodes(cluster: string): Record<string, ProjectConfiguration> {
  const root = `clusters/${cluster}`;
  return {
    projects: {
      root: 'projects',
      name: projectsFolderName,
      tags: ['flyte-tree'],
      implicitDependencies: [clustersFolderName],
      targets: {
        validate: sharedCheck('every entry of projects/ that is no spec, and of clusters/ beside the cluster folders', [
          '{projectRoot}/**/*',
          '{workspaceRoot}/clusters/*',
        ]),
      },
    },
    clusters: { root: 'clusters', name: clustersFolderName, tags: ['flyte-tree'], targets: {} },
    [root]: {
      root,
      name: clusterProjectName(cluster),
      projectType: 'application',
      tags: ['flyte-cluster'],
      targets: {
        validate: sharedCheck(
          `platform files, ${root}/root-app.yaml, ${root}/platform/, ` +
            `any file under ${root}/ no spec renders, and .github/CODEOWNERS`,
          ['{projectRoot}/**/*', '{workspaceRoot}/.github/CODEOWNERS'],
        ),
        render: renderTarget,
      },
    },
  };
}

export const createNodesV2: CreateNodesV2 = [
  '{projects/*.{yaml,yml,json},platform/clusters/*.{yaml,yml}}',
  async (files, options, context) => {
    const clusters = clusterNames(context);
    return createNodesFromFiles(
      (file) => ({
        projects: specPattern.test(file)
          ? specNodes(file, clusters)
          : clusterNodes(basename(file).replace(/\.ya?ml$/, '')),
      }),
      files,
      options,
      context,
    );
  },
];
