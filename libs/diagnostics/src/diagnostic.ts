/** One finding of the validation gate, located in the file a user edits. */
export interface Diagnostic {
  /** Repository-relative path of the file at fault (a spec, a platform file or a rendered file). */
  file: string;
  /** 1-based position in `file`, when known. */
  line?: number;
  column?: number;
  /** Stable id of the check, e.g. `spec/schema`, `naming/dns-label`, `kubeconform`, `drift`. */
  rule: string;
  message: string;
  /** What to do about it, in one sentence. */
  fix?: string;
  /** A longer attachment shown below the message (a diff, a list). */
  detail?: string;
}

/** Thrown where a stage cannot go on; carries the findings instead of a stack trace. */
export class DiagnosticError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('; '));
    this.name = 'DiagnosticError';
  }
}

/**
 * Findings on what is derived from the sources (drift, kubeconform, the chart, and the line that stands
 * for them while their spec has findings): fixed by fixing the source, then rendering again.
 */
export const derivedRules: readonly string[] = ['drift', 'kubeconform', 'gate/follows'];
const isDerived = (rule: string) => derivedRules.includes(rule) || /^(chart|plan)\//.test(rule);

/**
 * Root causes first: what the checkout holds (tree), then what a file says (syntax and schema), then what
 * the rules make of it (lint, risks), then what is rendered from it. A tenant fixes from the top down.
 */
export function causeRank(rule: string): number {
  if (rule.startsWith('tree/')) return 0;
  if (['yaml/syntax', 'json/syntax', 'spec/schema', 'platform/schema'].includes(rule)) return 1;
  return isDerived(rule) ? 3 : 2;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    causeRank(a.rule) - causeRank(b.rule) ||
    a.file.localeCompare(b.file) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0) ||
    a.rule.localeCompare(b.rule) ||
    a.message.localeCompare(b.message)
  );
}

export function location(d: Diagnostic): string {
  if (d.line === undefined) return d.file;
  return d.column === undefined ? `${d.file}:${d.line}` : `${d.file}:${d.line}:${d.column}`;
}
