import { logger, type Tree } from '@nx/devkit';
import { DiagnosticError, formatHuman } from '@flyte-gkp/diagnostics';
import { loadWorkspace, runGate } from '@flyte-gkp/gate';
import { loadPlatform } from '@flyte-gkp/platform';
import { codeownersPath } from '@flyte-gkp/render';
import { projectApiVersion, type FileSource, type ProjectSpec } from '@flyte-gkp/project-spec';
import type { ProjectGeneratorSchema } from './schema';
import { specText } from './spec-text';

/** The generator reads the workspace through Nx's virtual tree, so a dry run sees its own changes. */
function treeSource(tree: Tree): FileSource {
  return {
    list: async (dir) =>
      tree.exists(dir)
        ? tree
            .children(dir)
            .filter((name) => tree.isFile(`${dir}/${name}`))
            .sort()
        : [],
    read: async (file) => (tree.exists(file) ? (tree.read(file, 'utf-8') ?? undefined) : undefined),
  };
}

/** A comma-separated option as its items, blanks dropped. */
const listOption = (value: string | undefined) =>
  value
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);

function fail(message: string): never {
  // Nx prints the message of a thrown error; a DiagnosticError carries located findings.
  throw new Error(message);
}

export default async function projectGenerator(tree: Tree, options: ProjectGeneratorSchema): Promise<void> {
  const files = treeSource(tree);
  const existing = ['yaml', 'yml', 'json'].map((ext) => `projects/${options.id}.${ext}`).find((f) => tree.exists(f));
  if (existing) fail(`${existing} already exists: edit it instead of generating the project again`);

  const platform = await loadPlatform(files);
  if (!platform.ok) fail(formatHuman(platform.diagnostics));
  const [firstCluster] = platform.platform.clusters.map((c) => c.cluster);
  // The files every spec shares (the Flyte values) cannot be rendered right while another spec does not
  // load: nothing is written until it is fixed.
  const before = await loadWorkspace(tree.root, files, platform.platform);
  if (before.diagnostics.length > 0) {
    fail(
      `nothing written: other files under projects/ do not load, fix them first (\`npm run validate\` shows every finding):\n${formatHuman(before.diagnostics)}`,
    );
  }

  const domains = listOption(options.domains);
  const reviewers = listOption(options.reviewers);
  const spec: ProjectSpec = {
    apiVersion: projectApiVersion,
    kind: 'FlyteProject',
    id: options.id,
    displayName: options.displayName,
    ...(options.description ? { description: options.description } : {}),
    owners: [{ group: options.ownerGroup, role: options.ownerRole ?? 'admin' }],
    ...(reviewers?.length ? { reviewers } : {}),
    ...(domains?.length ? { domains: Object.fromEntries(domains.map((d) => [d, {}])) } : {}),
    storage: {
      bucket: options.bucket ?? `${firstCluster.namespacePrefix}${options.id}`,
      credentialsSecret: options.credentialsSecret ?? `mercury-${options.id}`,
    },
  };
  const file = `projects/${options.id}.${options.format ?? 'yaml'}`;
  tree.write(file, specText(spec, options.format ?? 'yaml'));

  // The spec is checked as the gate will check it in the pull request: schema and lint, with every other
  // spec. A refused spec leaves the tree as it was.
  const refuse = (message: string): never => {
    tree.delete(file);
    return fail(message);
  };
  try {
    const gate = await runGate(tree.root, { files, focus: [file], kubeconform: false, drift: false });
    if (gate.diagnostics.length > 0) refuse(`the new spec would not pass the gate:\n${formatHuman(gate.diagnostics)}`);
  } catch (error) {
    if (error instanceof DiagnosticError) refuse(formatHuman(error.diagnostics));
    throw error;
  }

  if (options.skipRender) {
    logger.info(`Wrote ${file}. Render it with: npm run render`);
    return;
  }
  // Only the new project's files and the files every project shares: another tenant's output is never
  // deleted nor rewritten here (a difference there is for `npm run validate` to report).
  const workspace = await loadWorkspace(tree.root, files, platform.platform);
  const ours = (file: { project?: string }) => file.project === undefined || file.project === spec.id;
  for (const rendered of workspace.rendered.values()) {
    for (const { path, content } of rendered.filter(ours))
      if (tree.read(path, 'utf-8') !== content) tree.write(path, content);
  }
  // The review rule lists every project, like the files every project shares.
  if (tree.read(codeownersPath, 'utf-8') !== workspace.codeowners) tree.write(codeownersPath, workspace.codeowners);
  logger.info(
    `Onboarded ${spec.id}: review the files above, then run \`npm run validate\` (kubeconform and drift) and open a pull request.`,
  );
}
