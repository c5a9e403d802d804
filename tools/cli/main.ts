import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DiagnosticError, formatDiagnostics, formatHuman, outputFormats, type OutputFormat } from '@flyte-gkp/diagnostics';
import { renderWorkspace, runGate, type GateResult } from '@flyte-gkp/gate';

/** Exit codes, as documented in the README. */
export const exitCodes = { ok: 0, findings: 1, usage: 2, toolFailure: 3 } as const;

const usage = `usage: npm run <render|validate> -- [options]

  render     validate every spec and the platform, then replace clusters/<cluster>/ with a fresh render
             (nothing is written when anything fails)
  validate   the full gate: spec schema, lint rules, kubeconform, and drift of clusters/ from a fresh render

options:
  --project FILE     report only on this spec (repeatable; platform and shared files are always checked)
  --shared-only      report only on the platform and the files no spec owns
  --format FORMAT    human (default), json or junit
  --output FILE      write the report to FILE instead of standard output
  --root DIR         the workspace (default: the current folder)
  --help

exit codes: 0 ok, 1 findings, 2 usage error, 3 a tool could not run (e.g. kubeconform not installed)`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
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
    console.log(usage);
    return exitCodes.ok;
  }
  if ((command !== 'render' && command !== 'validate') || positionals.length > 1) {
    console.error(usage);
    return exitCodes.usage;
  }
  const format = values.format as OutputFormat;
  if (!outputFormats.includes(format)) {
    console.error(`unknown --format ${values.format}: use one of ${outputFormats.join(', ')}`);
    return exitCodes.usage;
  }
  const root = resolve(values.root);
  const focus = values['shared-only'] ? [] : values.project?.map((p) => p.replace(/^\.\//, ''));

  let summary: string;
  let result: GateResult;
  if (command === 'render') {
    const rendered = await renderWorkspace(root);
    result = rendered;
    summary =
      rendered.written.length > 0
        ? `render: ${rendered.written.map((c) => `clusters/${c}/`).join(', ')} rendered and validated (${rendered.checkedFiles.length} files checked, ${rendered.changed.length} changed)`
        : `render: ${rendered.diagnostics.length} problem(s); clusters/ left as it was`;
  } else {
    result = await runGate(root, { focus });
    summary = `validate: ${result.checkedFiles.length} files checked, ${result.diagnostics.length} problem(s)`;
  }
  const report = formatDiagnostics(format, result.diagnostics, result.checkedFiles);
  if (values.output) await writeFile(values.output, report);
  else process.stdout.write(report);
  console.error(summary);
  return result.diagnostics.length === 0 ? exitCodes.ok : exitCodes.findings;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof DiagnosticError) {
      console.error(formatHuman(error.diagnostics));
      process.exit(exitCodes.findings);
    }
    if (error instanceof Error && error.name === 'ParseError') {
      console.error(`${error.message}\n\n${usage}`);
      process.exit(exitCodes.usage);
    }
    // A tool that cannot run says what to do; no stack trace unless asked for.
    console.error(process.env.DEBUG ? error : `error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(exitCodes.toolFailure);
  },
);
