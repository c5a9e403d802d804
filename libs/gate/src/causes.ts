import { causeRank, type Diagnostic } from '@flyte-gkp/diagnostics';
import { projectOfPath } from '@flyte-gkp/plan';
import { codeownersPath } from '@flyte-gkp/render';
import { specExtensions } from './workspace.js';

export const followsRule = 'gate/follows';

const idOf = (file: string) => file.slice(file.lastIndexOf('/') + 1).replace(specExtensions, '');

/**
 * While a spec has findings of its own (schema, lint), what it renders is stale or missing: every drift
 * and kubeconform finding on its output follows from them, and `npm run render` refuses until they are
 * fixed. Listed, they would bury the cause under "run npm run render" lines; they become one line on the
 * spec saying so. The drift of the files every project shares (the project registration lists the
 * projects, CODEOWNERS names each spec) can only be fixed by that render too: it joins the line of the
 * first such spec. Findings on output whose spec is clean stay as they are.
 */
export function collapseConsequences(diagnostics: Diagnostic[], specFiles: readonly string[]): Diagnostic[] {
  const specOfId = new Map(specFiles.map((file) => [idOf(file), file]));
  const faulty = [
    ...new Set(
      diagnostics.filter((d) => causeRank(d.rule) < 3 && specOfId.get(idOf(d.file)) === d.file).map((d) => d.file),
    ),
  ].sort();
  const following = new Map<string, Diagnostic[]>();
  const kept: Diagnostic[] = [];
  for (const d of diagnostics) {
    const project = projectOfPath(d.file);
    const shared = d.file.startsWith('clusters/') || d.file === codeownersPath;
    const spec = project ? specOfId.get(project) : shared ? faulty[0] : undefined;
    const derived = d.rule === 'drift' || (d.rule === 'kubeconform' && project);
    if (derived && spec && faulty.includes(spec)) following.set(spec, [...(following.get(spec) ?? []), d]);
    else kept.push(d);
  }
  for (const [spec, consequences] of following) kept.push(followsLine(spec, consequences));
  return kept;
}

function followsLine(spec: string, consequences: Diagnostic[]): Diagnostic {
  const counts = ['drift', 'kubeconform']
    .map((rule) => [rule, consequences.filter((d) => d.rule === rule).length] as const)
    .filter(([, count]) => count > 0)
    .map(([rule, count]) => `${count} ${rule}`);
  // The spec's own folders first, then the files every project shares.
  const folders = [
    ...new Set(consequences.map((d) => d.file.replace(/^(clusters\/[^/]+\/projects\/[^/]+\/).*/, '$1'))),
  ].sort((a, b) => Number(!projectOfPath(a)) - Number(!projectOfPath(b)) || a.localeCompare(b));
  return {
    file: spec,
    rule: followsRule,
    message:
      `${counts.join(' and ')} finding(s) on ${folders.join(', ')} follow from the findings of this spec above, ` +
      'and are not listed',
    fix: `fix the findings above first; then run \`npm run render\` and commit ${folders.join(', ')} with the spec`,
  };
}
