import type { Diagnostic } from '@flyte-gkp/diagnostics';
import type { Platform } from '@flyte-gkp/platform';
import type { ProjectInput, RenderedFile } from '@flyte-gkp/render';
import type { SourceDocument } from '@flyte-gkp/project-spec';

/** What every rule sees: the platform, the specs that passed the schema, and what they render to. */
export interface LintContext {
  platform: Platform;
  projects: ProjectInput[];
  /** Specs that parsed but failed the schema: not rendered, yet a credential in one is in git all the same. */
  refusedSpecs: SourceDocument[];
  /** Cluster name → its rendered files. */
  rendered: Map<string, RenderedFile[]>;
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
  check(context: LintContext): Finding[];
}

export function runRules(rules: readonly LintRule[], context: LintContext): Diagnostic[] {
  return rules.flatMap((rule) => rule.check(context).map((f) => ({ ...f, rule: rule.id, fix: f.fix ?? rule.fix })));
}
