import { logger, type GeneratorCallback, type Tree } from '@nx/devkit';
import { DiagnosticError, formatHuman, type Diagnostic } from '@flyte-gkp/diagnostics';
import { loadWorkspace, runGate } from '@flyte-gkp/gate';
import { loadPlatform } from '@flyte-gkp/platform';
import { codeownersPath } from '@flyte-gkp/render';
import { loadProjectText, projectApiVersion, type FileSource, type ProjectSpec } from '@flyte-gkp/project-spec';
import type { ProjectGeneratorSchema } from './schema';
import { specText } from './spec-text';

const projectsDir = 'projects';

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
  // Nx prints the message of a thrown error: the gate's own findings, located, each with its rule and fix.
  throw new Error(message);
}

const refusal = (findings: Diagnostic[]) =>
  'nothing written: the new spec would not pass the gate (`npm run validate` says the same):\n' + formatHuman(findings);

/**
 * Nx hands a generator no dry-run flag: it prints the files after the generator returns and writes them
 * only without --dry-run. The command line says which it is.
 */
export const isDryRun = (argv: readonly string[] = process.argv) =>
  argv.some((a) => a === '--dry-run' || a === '--dryRun' || a === '-d' || a === '--dry-run=true');

export default async function projectGenerator(
  tree: Tree,
  options: ProjectGeneratorSchema,
): Promise<GeneratorCallback> {
  const files = treeSource(tree);
  const existing = ['yaml', 'yml', 'json'].map((ext) => `projects/${options.id}.${ext}`).find((f) => tree.exists(f));
  if (existing)
    fail(
      formatHuman([
        {
          file: existing,
          line: 1,
          column: 1,
          rule: 'naming/unique',
          message: `the project ${options.id} exists already`,
          fix: `edit ${existing} instead of generating the project again, or choose another id`,
        },
      ]),
    );

  const platform = await loadPlatform(files);
  if (!platform.ok) fail(formatHuman(platform.diagnostics));
  const [firstCluster] = platform.platform.clusters.map((c) => c.cluster);
  // The files every spec shares (the Flyte values) cannot be rendered right while another spec does not
  // load: nothing is written until it is fixed.
  const before = await loadWorkspace(tree.root, files, platform.platform);
  if (before.diagnostics.length > 0) {
    fail(
      'nothing written: other files under projects/ do not load, ' +
        `fix them first (\`npm run validate\` shows every finding):\n${formatHuman(before.diagnostics)}`,
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
    // Named after the id in lower case: an upper-case id is one finding, not three.
    storage: {
      bucket: options.bucket ?? `${firstCluster.namespacePrefix}${options.id.toLowerCase()}`,
      credentialsSecret: options.credentialsSecret ?? `mercury-${options.id.toLowerCase()}`,
    },
  };
  const file = `projects/${options.id}.${options.format ?? 'yaml'}`;
  const text = specText(spec, options.format ?? 'yaml');
  // The spec is checked as the gate will check it in the pull request, schema and lint with every other
  // spec, before anything is written: in memory, beside the tree's files. An id that is no file name
  // (`../x`) is checked alone: its schema finding says why.
  const name = file.slice(`${projectsDir}/`.length);
  const beside: FileSource = {
    list: async (dir) =>
      dir === projectsDir ? [...new Set([...(await files.list(dir)), name])].sort() : files.list(dir),
    read: async (path) => (path === file ? text : files.read(path)),
  };
  if (/[\\/]/.test(name)) {
    const alone = loadProjectText(file, text);
    if (!alone.ok) fail(refusal(alone.diagnostics));
  }
  try {
    const gate = await runGate(tree.root, { files: beside, focus: [file], kubeconform: false, drift: false });
    if (gate.diagnostics.length > 0) fail(refusal(gate.diagnostics));
  } catch (error) {
    if (error instanceof DiagnosticError) fail(refusal(error.diagnostics));
    throw error;
  }
  tree.write(file, text);

  if (options.skipRender) {
    summarize(
      spec.id,
      'the spec',
      'then render it with `npm run render`, run `npm run validate` and open a pull request',
    );
    return () => logger.info(`Wrote ${file}: render it with \`npm run render\`.`);
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
  summarize(spec.id, 'its spec and rendered files', 'then run `npm run validate` and open a pull request');
  return () =>
    logger.info(
      `Onboarded ${spec.id}: wrote the files listed above; ` +
        'run `npm run validate` (kubeconform and drift) and open a pull request.',
    );
}

/** Said before Nx lists the files (CREATE, UPDATE): on a dry run, that list is all there is. */
function summarize(id: string, what: string, next: string): void {
  if (isDryRun())
    logger.info(
      `Dry run: ${id} passes the gate's schema and lint; it would write ${what}, listed below (CREATE/UPDATE); ` +
        `nothing is written. Run it again without --dry-run, ${next}.`,
    );
  else logger.info(`${id} passes the gate's schema and lint; writing ${what}, listed below.`);
}
