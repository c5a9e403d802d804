import type { Diagnostic } from '@flyte-gkp/diagnostics';
import { runRules, runRulesOnAccepted, rules as allRules } from '@flyte-gkp/lint';
import type { Scope } from './scope.js';
import type { Workspace } from './workspace.js';

export interface Checked {
  diagnostics: Diagnostic[];
  /** Files the verdict covers: specs, platform files and rendered files. */
  checkedFiles: string[];
}

/**
 * Check stage "rules": the load's schema findings and every lint rule, on the valid specs and on what the
 * schema accepted of the refused ones, and the files they cover.
 */
export function checkRules(workspace: Workspace, inScope: Scope): Checked {
  const checkedFiles = new Set<string>([
    ...workspace.platform.clusters.map((c) => c.source.file),
    workspace.platform.pinsSource.file,
  ]);
  for (const file of workspace.specFiles) if (inScope(file)) checkedFiles.add(file);
  for (const files of workspace.rendered.values()) for (const f of files) if (inScope(f.path)) checkedFiles.add(f.path);
  return {
    diagnostics: [
      ...workspace.diagnostics,
      ...runRules(allRules, workspace),
      ...runRulesOnAccepted(allRules, workspace, workspace.partialSpecs),
    ],
    checkedFiles: [...checkedFiles].sort(),
  };
}
