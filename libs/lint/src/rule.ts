import type { Diagnostic } from '@flyte-gkp/diagnostics';
import type { Platform } from '@flyte-gkp/platform';
import type { ProjectInput, RenderedFile } from '@flyte-gkp/render';
import type { PathSegment, ProjectSpec, SourceDocument } from '@flyte-gkp/project-spec';

/** What every rule sees: the platform, the specs that passed the schema, and what they render to. */
export interface LintContext {
  platform: Platform;
  projects: ProjectInput[];
  /** Specs that parsed but failed the schema: not rendered, yet a credential in one is in git all the same. */
  refusedSpecs: SourceDocument[];
  /** Cluster name → its rendered files. */
  rendered: Map<string, RenderedFile[]>;
  /**
   * Spec files of the base (validate --base) or else of the last commit: a clash is reported on the spec
   * that introduces it. Unknown (no git), a clash is reported on the later file name.
   */
  established?: ReadonlySet<string>;
}

/** A finding without the rule id: the runner adds it, and the rule's fix hint unless the finding has its own. */
export type Finding = Omit<Diagnostic, 'rule' | 'fix'> & { fix?: string };

export interface LintRule {
  /** `<area>/<name>`, stable: users grep for it and fixtures are filed under it. */
  id: string;
  /** One line: what the rule enforces. */
  description: string;
  /** One line: how to fix a finding, unless the finding says more precisely. */
  fix: string;
  /** Reads every refused spec itself (LintContext.refusedSpecs): not run again on what the schema accepted. */
  readsRefusedSpecs?: boolean;
  check(context: LintContext): Finding[];
}

export function runRules(rules: readonly LintRule[], context: LintContext): Diagnostic[] {
  return rules.flatMap((rule) => rule.check(context).map((f) => ({ ...f, rule: rule.id, fix: f.fix ?? rule.fix })));
}

/** A spec that parsed but that the schema refused, with the paths it refused. */
export interface PartialSpec {
  file: string;
  source: SourceDocument;
  rejected: PathSegment[][];
}

/**
 * The rules on what the schema accepted of refused specs, so one run shows every schema and lint finding
 * of a spec (an upper-case id and a domain typo: both, not one per run). Each refused spec joins the
 * valid ones; a rule that reads a refused value of it (or fails on it) says nothing about it, since what
 * it would say follows from the schema finding. Rendered output is not theirs: refused specs render nothing.
 */
export function runRulesOnAccepted(
  rules: readonly LintRule[],
  context: LintContext,
  partial: readonly PartialSpec[],
): Diagnostic[] {
  if (partial.length === 0) return [];
  const touched = new Set<string>();
  const inputs = partial.map(({ file, source, rejected }) => ({
    file,
    source,
    spec: tracked(source.value, [], rejected, () => touched.add(file)) as ProjectSpec,
  }));
  const files = new Set(partial.map((p) => p.file));
  const accepted = { ...context, projects: [...context.projects, ...inputs], refusedSpecs: [], rendered: new Map() };
  return rules
    .filter((rule) => !rule.readsRefusedSpecs)
    .flatMap((rule) => {
      touched.clear();
      let findings: Finding[];
      try {
        findings = rule.check(accepted);
      } catch {
        return []; // a value the schema refused broke the rule: the schema finding says it already
      }
      return findings
        .filter((f) => files.has(f.file) && !touched.has(f.file))
        .map((f) => ({ ...f, rule: rule.id, fix: f.fix ?? rule.fix }));
    });
}

/** `value` as seen through a proxy that calls `onRejected` when a rule reads a path under a refused one. */
function tracked(
  value: unknown,
  path: readonly PathSegment[],
  rejected: readonly PathSegment[][],
  onRejected: () => void,
): unknown {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      const child = Reflect.get(target, key, receiver) as unknown;
      if (typeof key === 'symbol' || (Array.isArray(target) && key === 'length')) return child;
      const childPath = [...path, key];
      const under = (r: PathSegment[]) => r.length <= childPath.length && r.every((s, i) => String(s) === childPath[i]);
      if (rejected.some(under)) onRejected();
      return tracked(child, childPath, rejected, onRejected);
    },
  });
}
