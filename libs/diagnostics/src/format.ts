import { isAbsolute, relative } from 'node:path';
import junit from 'junit-report-builder';
import { compareDiagnostics, location, type Diagnostic } from './diagnostic.js';

export type OutputFormat = 'human' | 'json' | 'junit';
export const outputFormats: readonly OutputFormat[] = ['human', 'json', 'junit'];

/**
 * Messages can quote what a user wrote (a key, a value): shown on one line with control characters
 * escaped, so no input can forge a line of the report.
 */
export function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this escapes
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A path as a message shows it: relative to the working folder when inside it, else as it is. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** `projects/x.yaml:4:9 owners[0].role must be one of ... [spec/schema]` and a fix line. */
export function formatHuman(diagnostics: Diagnostic[]): string {
  return [...diagnostics]
    .sort(compareDiagnostics)
    .map((d) => {
      const lines = [`${printable(location(d))} ${printable(d.message)} [${d.rule}]`];
      if (d.fix) lines.push(`  fix: ${printable(d.fix)}`);
      if (d.detail)
        lines.push(
          ...d.detail
            .trimEnd()
            .split('\n')
            .map((l) => `    ${l}`),
        );
      return lines.join('\n');
    })
    .join('\n');
}

export function formatJson(diagnostics: Diagnostic[], checkedFiles: string[]): string {
  const sorted = [...diagnostics].sort(compareDiagnostics);
  const report = { ok: sorted.length === 0, checkedFiles: [...checkedFiles].sort(), diagnostics: sorted };
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** One test case per checked file, failing with its findings: CI systems annotate the file. */
export function formatJunit(diagnostics: Diagnostic[], checkedFiles: string[]): string {
  const builder = junit.newBuilder();
  const suite = builder.testSuite().name('flyte-gkp validation gate');
  const files = [...new Set([...checkedFiles, ...diagnostics.map((d) => d.file)])].sort();
  for (const file of files) {
    const found = diagnostics.filter((d) => d.file === file).sort(compareDiagnostics);
    const testCase = suite.testCase().className('flyte-gkp').name(file).file(file);
    if (found.length > 0) {
      testCase.failure(formatHuman(found), found.map((d) => d.rule).join(','));
    }
  }
  return builder.build();
}

export function formatDiagnostics(format: OutputFormat, diagnostics: Diagnostic[], checkedFiles: string[]): string {
  switch (format) {
    case 'human':
      return diagnostics.length === 0 ? '' : `${formatHuman(diagnostics)}\n`;
    case 'json':
      return formatJson(diagnostics, checkedFiles);
    case 'junit':
      return formatJunit(diagnostics, checkedFiles);
  }
}
