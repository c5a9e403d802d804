import { printable } from '@flyte-gkp/diagnostics';
import type { Action, Change, FieldChange } from './diff.js';
import type { Risk } from './risk.js';
import { crossTenantWarning, reviewLine, type Reviews } from './review.js';
import { isProtected } from './rules/deletion.js';

export interface Plan {
  /** The base revision as the user named it, and the commit it resolved to. */
  base: { revision: string; commit: string };
  changes: Change[];
  risks: Risk[];
  /** Whose review the change needs (CODEOWNERS); absent where nobody computed it. */
  reviews?: Reviews;
}

export type PlanFormat = 'human' | 'markdown' | 'json';
export const planFormats: readonly PlanFormat[] = ['human', 'markdown', 'json'];

/**
 * What Argo CD will do with an object: a deleted object it is told to keep (Prune=false or Delete=false)
 * stays in the cluster; it is no delete, and is counted apart.
 */
export type ShownAction = Action | 'keep';
const symbols: Record<ShownAction, string> = { create: '+', update: '~', delete: '-', keep: '=' };
export const shownAction = (c: Change): ShownAction =>
  c.action === 'delete' && isProtected(c.base?.object) ? 'keep' : c.action;

/** A value on one line: JSON, with the line separators JSON leaves as they are escaped too; `(none)` where absent. */
function show(value: unknown): string {
  if (value === undefined) return '(none)';
  return JSON.stringify(value).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** `spec.hard.cpu: "8" → "16"`; a field added or removed is `(none)` on its missing side. */
export const fieldLine = ({ path, before, after }: FieldChange) =>
  `${printable(path)}: ${show(before)} → ${show(after)}`;

const objectName = (c: { kind: string; namespace: string; name: string }) =>
  printable(`${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}`);
/** Argo CD leaves an object with Prune=false or Delete=false in the cluster when git no longer has it. */
const kept = (c: Change) =>
  shownAction(c) === 'keep' ? ' (gone from git, left in the cluster by Argo CD: Prune=false)' : '';
const projectLabel = (project: string | null) => (project === null ? 'platform' : `project ${printable(project)}`);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function counts(changes: readonly Change[]): Record<ShownAction, number> {
  const count = (action: ShownAction) => changes.filter((c) => shownAction(c) === action).length;
  return { create: count('create'), update: count('update'), delete: count('delete'), keep: count('keep') };
}

const countLine = (changes: readonly Change[]) => {
  const n = counts(changes);
  return `${n.create} to create, ${n.update} to update, ${n.delete} to delete, ${n.keep} to keep`;
};
const riskLine = (risks: readonly Risk[]) => {
  const blocking = risks.filter((r) => r.severity === 'blocking').length;
  return `${plural(blocking, 'blocking risk')}, ${plural(risks.length - blocking, 'warning')}`;
};

/** Changes grouped by cluster, then by project (the platform first), in the order given. */
function groups(changes: readonly Change[]): { cluster: string; project: string | null; changes: Change[] }[] {
  const out: { cluster: string; project: string | null; changes: Change[] }[] = [];
  for (const change of changes) {
    const last = out[out.length - 1];
    if (last && last.cluster === change.cluster && last.project === change.project) last.changes.push(change);
    else out.push({ cluster: change.cluster, project: change.project, changes: [change] });
  }
  return out;
}

function riskText(r: Risk): string[] {
  const severity = r.severity === 'blocking' ? 'BLOCKING' : 'warning';
  return [
    `${severity} [${r.rule}] ${r.cluster} ${objectName(r)}: ${printable(r.message)}`,
    `  fix: ${printable(r.fix)}`,
  ];
}

/** For a terminal: every change with its field diff (creates and deletes by name), then the risks. */
export function formatHuman(plan: Plan): string {
  const against = `${printable(plan.base.revision)} (${plan.base.commit.slice(0, 12)})`;
  const lines = [`plan against ${against}: ${countLine(plan.changes)}; ${riskLine(plan.risks)}`];
  let cluster: string | undefined;
  for (const group of groups(plan.changes)) {
    if (group.cluster !== cluster) lines.push('', `cluster ${printable(group.cluster)}`);
    cluster = group.cluster;
    lines.push(`  ${projectLabel(group.project)}`);
    for (const change of group.changes) {
      const action = shownAction(change);
      lines.push(`    ${symbols[action]} ${action} ${objectName(change)}${kept(change)}`);
      if (change.action === 'update') lines.push(...change.diff.map((d) => `        ${fieldLine(d)}`));
    }
  }
  if (plan.risks.length > 0) lines.push('', 'risks:', ...plan.risks.flatMap((r) => riskText(r).map((l) => `  ${l}`)));
  if (plan.reviews?.needed.length) {
    lines.push('', 'reviews needed (CODEOWNERS of the base):');
    if (plan.reviews.crossTenant) lines.push(`  CROSS-TENANT: ${crossTenantWarning(plan.reviews)}`);
    lines.push(...plan.reviews.needed.map((r) => `  ${reviewLine(r, printable)}`));
  }
  return `${lines.join('\n')}\n`;
}

/** A code fence longer than any run of backticks in the text, so no text closes it early. */
function fenced(text: string, info = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${info}\n${text}\n${fence}`;
}
/**
 * Markdown and HTML are inert inside <code>; names are DNS labels, but a message quotes values. A `|`
 * would still end a table cell (GitHub splits rows before it reads inline markup): an entity it is.
 */
const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '&#124;');

const code = (text: string) => `<code>${escapeHtml(printable(text)).replace(/`/g, '&#96;')}</code>`;

/**
 * A message or fix as prose: its `quoted` parts as code, the rest with every character Markdown or
 * HTML would read escaped, so it shows as written (a backtick inside <code> would show literally).
 */
export function prose(text: string): string {
  return printable(text)
    .split(/(`[^`]+`)/)
    .map((part, i) =>
      i % 2 === 1 ? code(part.slice(1, -1)) : escapeHtml(part).replace(/[\\`*_[\]#~!]/g, (c) => `\\${c}`),
    )
    .join('');
}

/** A GitHub comment holds 65,536 characters; the details stop well before, and say how to see the rest. */
const markdownBudget = 60_000;
const fieldsPerObject = 20;
/** Rows of the per-project table, and risks listed, before the rest is summed up in one line. */
const listedRows = 50;

const capped = (lines: string[], what: string) =>
  lines.length > listedRows
    ? [...lines.slice(0, listedRows), `| ... | ${lines.length - listedRows} more ${what} | | | | | |`]
    : lines;
const projectCell = (project: string | null) => (project === null ? 'platform' : code(project));

/** The reviews a pull request needs, the cross-tenant mark first; nothing when none was computed. */
function markdownReviews(reviews: Reviews | undefined): string[] {
  if (!reviews?.needed.length) return [];
  return [
    '#### Reviews needed (CODEOWNERS of the base)',
    '',
    ...(reviews.crossTenant ? [`> ⚠️ **Cross-tenant change**: ${code(crossTenantWarning(reviews))}`, ''] : []),
    ...reviews.needed.slice(0, listedRows).map((r) => `- ${reviewLine(r, code)}`),
    '',
  ];
}

/** For a pull request: counts per project, the risks, then each project's changes folded in <details>. */
export function formatMarkdown(plan: Plan): string {
  const head = [
    `### Plan: ${countLine(plan.changes)}; ${riskLine(plan.risks)}`,
    '',
    `Compared with \`${plan.base.commit.slice(0, 12)}\` (${code(plan.base.revision)}): ` +
      'what Argo CD will apply once this is merged.',
    '',
  ];
  if (plan.changes.length === 0)
    return `${[...head, 'No object changes.', '', ...markdownReviews(plan.reviews)].join('\n').trimEnd()}\n`;
  const rows: string[] = [];
  for (const group of groups(plan.changes)) {
    const n = counts(group.changes);
    const risks = plan.risks.filter((r) => r.cluster === group.cluster && r.project === group.project);
    const blocking = risks.filter((r) => r.severity === 'blocking').length;
    const warnings = risks.length - blocking;
    const riskCell = [blocking ? `**${blocking} blocking**` : '', warnings ? plural(warnings, 'warning') : '']
      .filter(Boolean)
      .join(', ');
    const cells = [code(group.cluster), projectCell(group.project), n.create, n.update, n.delete, n.keep, riskCell];
    rows.push(`| ${cells.join(' | ')} |`);
  }
  const table = [
    '| Cluster | Project | Create | Update | Delete | Keep | Risks |',
    '| --- | --- | --: | --: | --: | --: | --- |',
    ...capped(rows, 'projects'),
  ];
  const risks = plan.risks.slice(0, listedRows).map((r) => {
    const severity = r.severity === 'blocking' ? '⛔ **blocking**' : '⚠️ warning';
    const object = `${r.cluster} ${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
    return `- ${severity} \`${r.rule}\` ${code(object)}: ${prose(r.message)}<br>fix: ${prose(r.fix)}`;
  });
  if (plan.risks.length > listedRows)
    risks.push(`- ... ${plan.risks.length - listedRows} more risks (the blocking ones are listed first)`);
  const summary = [
    ...head,
    ...table,
    '',
    ...(risks.length ? ['#### Risks', '', ...risks, ''] : []),
    ...markdownReviews(plan.reviews),
  ].join('\n');

  const details: string[] = [];
  let size = summary.length;
  let shown = 0;
  for (const group of groups(plan.changes)) {
    const body = group.changes.flatMap((c) => {
      const fields = c.action === 'update' ? c.diff.slice(0, fieldsPerObject).map((d) => `    ${fieldLine(d)}`) : [];
      const more =
        c.action === 'update' && c.diff.length > fieldsPerObject
          ? [`    ... ${c.diff.length - fieldsPerObject} more fields`]
          : [];
      return [`${symbols[shownAction(c)]} ${objectName(c)}${kept(c)}`, ...fields, ...more];
    });
    const changes = plural(group.changes.length, 'change');
    const summary = `${code(group.cluster)} · ${projectCell(group.project)}: ${changes}`;
    const block = `<details><summary>${summary}</summary>\n\n${fenced(body.join('\n'), 'diff')}\n\n</details>`;
    if (size + block.length > markdownBudget) break;
    details.push(block);
    size += block.length;
    shown += group.changes.length;
  }
  if (shown < plan.changes.length) {
    details.push(
      `_${plan.changes.length - shown} more changes not shown: ` +
        `run \`npm run plan -- --base ${plan.base.commit.slice(0, 12)}\`._`,
    );
  }
  return `${[summary, ...details].join('\n')}\n`;
}

/** For machines: exactly the fields documented in docs/gate-reference.md, nothing of the objects themselves. */
export function formatJson(plan: Plan): string {
  const changes = plan.changes.map((c) => ({
    cluster: c.cluster,
    project: c.project,
    action: shownAction(c),
    kind: c.kind,
    namespace: c.namespace || null,
    name: c.name,
    diff: c.diff,
  }));
  const risks = plan.risks.map((r) => ({
    rule: r.rule,
    severity: r.severity,
    message: r.message,
    cluster: r.cluster,
    project: r.project,
    kind: r.kind,
    namespace: r.namespace || null,
    name: r.name,
  }));
  return `${JSON.stringify({ changes, risks, ...(plan.reviews ? { reviews: plan.reviews } : {}) }, null, 2)}\n`;
}

export function formatPlan(format: PlanFormat, plan: Plan): string {
  switch (format) {
    case 'human':
      return formatHuman(plan);
    case 'markdown':
      return formatMarkdown(plan);
    case 'json':
      return formatJson(plan);
  }
}
