import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DiagnosticError,
  formatDiagnostics,
  formatHuman,
  outputFormats,
  type OutputFormat,
} from '@flyte-gkp/diagnostics';
import {
  listSpecFiles,
  planWorkspace,
  renderWorkspace,
  RevisionError,
  runGate,
  type GateResult,
} from '@flyte-gkp/gate';
import { formatPlan, planFormats, type PlanFormat } from '@flyte-gkp/plan';
import { diskSource } from '@flyte-gkp/project-spec';
import { processStreams } from './streams.js';

/** Exit codes, as documented in docs/gate-reference.md. */
export const exitCodes = { ok: 0, findings: 1, usage: 2, toolFailure: 3 } as const;

const usage = `usage: npm run <render|validate|plan> -- [options]

  render     validate every spec and the platform, then replace clusters/<cluster>/ with a fresh render
             (nothing is written when anything fails)
  validate   the full gate: spec schema, lint rules, kubeconform, and drift of clusters/ from a fresh render;
             with --base, also the blocking risks of the change since that revision
  plan       what Argo CD will create, update and delete once this checkout is merged, compared with
             --base (required), per cluster and project, with field diffs and risks

options:
  --base REV         a git revision (branch, tag, commit) to compare with: plan, validate
  --project FILE     report only on this spec of projects/ (repeatable; platform and shared files are always
                     checked); a file that is no spec of projects/ is a usage error
  --shared-only      report only on the platform and the files no spec owns
  --format FORMAT    validate: human (default), json or junit; plan: human (default), markdown or json
  --output FILE      write the report to FILE instead of standard output
  --root DIR         the workspace (default: the current folder)
  --help

exit codes:
  render     0 rendered and validated (or nothing to change), 1 one or more findings (clusters/ left as it
             was), 2 usage error, 3 a failure (below)
  validate   0 no finding, 1 one or more findings (with --base, blocking risks among them), 2 usage error,
             3 a failure (below)
  plan       0 the plan is written, whatever its risks (validate --base fails on the blocking ones), 1 a spec
             or the platform does not load (its findings), 2 usage error or unknown --base, 3 a failure (below)
  a failure: a tool could not run (e.g. kubeconform not installed, or timed out), another render holds the
  lock, or the report could not be written whole (e.g. its reader closed the pipe)`;

/** Thrown for a command line that asks for something impossible: exit 2 with its message. */
class UsageError extends Error {}

/**
 * The spec files `--project` names, as repository paths. Each must be a spec of projects/: a path
 * outside it (`../x.yaml`, `/etc/passwd`, `clusters/...`) or a spec that does not exist is refused
 * rather than validated as nothing, which would pass.
 */
async function focusedSpecs(root: string, named: string[]): Promise<string[]> {
  const specs = new Set(await listSpecFiles(diskSource(root)));
  return named.map((name) => {
    const path = relative(root, resolve(root, name)).split(sep).join('/');
    if (!/^projects\/[^/]+$/.test(path))
      throw new UsageError(`--project ${name} is not a file of projects/: name a spec such as projects/<id>.yaml`);
    if (!specs.has(path))
      throw new UsageError(
        `--project ${name}: there is no spec ${path} (a spec is a file projects/<id>.yaml, .yml or .json)`,
      );
    return path;
  });
}

/**
 * The folder `--root` names, which must exist: a typo is a usage error naming it, not "no cluster
 * definition found" (nor a render that creates the folder to write into it).
 */
async function workspaceRoot(named: string): Promise<string> {
  const root = resolve(named);
  const info = await stat(root).catch(() => undefined);
  if (!info) throw new UsageError(`--root ${named}: there is no folder ${root} (a typo?): name the workspace's folder`);
  if (!info.isDirectory())
    throw new UsageError(`--root ${named}: ${root} is a file, not a folder: name the workspace's folder`);
  return root;
}

const streams = processStreams();

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      base: { type: 'string' },
      project: { type: 'string', multiple: true },
      'shared-only': { type: 'boolean', default: false },
      format: { type: 'string', default: 'human' },
      output: { type: 'string' },
      root: { type: 'string', default: '.' },
      help: { type: 'boolean', default: false },
    },
  });
  const [command] = positionals;
  if (values.help) {
    streams.out(`${usage}\n`);
    return exitCodes.ok;
  }
  if (!['render', 'validate', 'plan'].includes(command) || positionals.length > 1) {
    streams.err(usage);
    return exitCodes.usage;
  }
  const root = await workspaceRoot(values.root);
  if (command === 'plan') return plan(root, values.base, values.format, values.output);
  if (command === 'render' && values.base !== undefined) {
    streams.err('--base: render writes the fresh render whatever the base; use `plan --base` to see the change');
    return exitCodes.usage;
  }
  const format = values.format as OutputFormat;
  if (!outputFormats.includes(format)) {
    streams.err(`unknown --format ${values.format}: use one of ${outputFormats.join(', ')}`);
    return exitCodes.usage;
  }
  const focus = values['shared-only'] ? [] : values.project && (await focusedSpecs(root, values.project));

  let summary: string;
  let result: GateResult;
  if (command === 'render') {
    const rendered = await renderWorkspace(root);
    result = rendered;
    const since = rendered.sinceLastCommit;
    if ('failed' in since) {
      const why =
        since.failed instanceof DiagnosticError ? formatHuman(since.failed.diagnostics) : String(since.failed);
      streams.err(`render: warning: could not compare with the last commit (run \`validate --base HEAD\`): ${why}`);
    } else if (since.refused.length > 0)
      streams.err(
        'render: warning: `validate --base HEAD` (and CI, against the target branch) refuses this change:\n' +
          formatHuman(since.refused),
      );
    summary =
      rendered.written.length > 0
        ? `render: ${rendered.written.map((c) => `clusters/${c}/`).join(', ')} rendered ` +
          `and validated (${rendered.checkedFiles.length} files checked, ${rendered.changed.length} changed)`
        : `render: ${rendered.diagnostics.length} problem(s); clusters/ left as it was`;
  } else {
    result = await runGate(root, { focus, base: values.base });
    summary = `validate: ${result.checkedFiles.length} files checked, ${result.diagnostics.length} problem(s)`;
  }
  const report = formatDiagnostics(format, result.diagnostics, result.checkedFiles);
  if (values.output) await writeReport(values.output, report);
  else streams.out(report);
  streams.err(summary);
  return result.diagnostics.length === 0 ? exitCodes.ok : exitCodes.findings;
}

/** A report goes where asked, its folder created if need be (CI writes reports/ into a fresh checkout). */
async function writeReport(file: string, report: string): Promise<void> {
  await mkdir(dirname(resolve(file)), { recursive: true });
  await writeFile(file, report);
}

async function plan(
  root: string,
  base: string | undefined,
  format: string,
  output: string | undefined,
): Promise<number> {
  if (base === undefined) {
    streams.err('plan needs --base REV: the revision to compare with (e.g. origin/main)');
    return exitCodes.usage;
  }
  if (!planFormats.includes(format as PlanFormat)) {
    streams.err(`unknown --format ${format} for plan: use one of ${planFormats.join(', ')}`);
    return exitCodes.usage;
  }
  const result = await planWorkspace(root, base);
  const report = formatPlan(format as PlanFormat, result);
  if (output) await writeReport(output, report);
  else streams.out(report);
  const blocking = result.risks.filter((r) => r.severity === 'blocking').length;
  streams.err(`plan: ${result.changes.length} change(s), ${result.risks.length} risk(s), ${blocking} blocking`);
  return exitCodes.ok;
}

/** The exit code of a failure: findings, a usage error, or a tool that could not run, said in plain words. */
function failed(error: unknown): number {
  if (error instanceof DiagnosticError) {
    streams.err(formatHuman(error.diagnostics));
    return exitCodes.findings;
  }
  if (error instanceof RevisionError) {
    streams.err(`error: ${error.message}`);
    return exitCodes.usage;
  }
  if (
    error instanceof UsageError ||
    (error instanceof Error &&
      (error.name === 'ParseError' || String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')))
  ) {
    streams.err(`${error.message}\n\n${usage}`);
    return exitCodes.usage;
  }
  // A tool that cannot run says what to do; no stack trace unless asked for.
  streams.err(
    process.env.DEBUG && error instanceof Error
      ? String(error.stack)
      : `error: ${error instanceof Error ? error.message : String(error)}`,
  );
  return exitCodes.toolFailure;
}

// No process.exit: the process ends once every write has drained, with the code set here.
process.exitCode = await streams.drained(await main(process.argv.slice(2)).catch(failed), exitCodes.toolFailure);
