import { registrationName, registrationProjectsFile, type RegisteredProject } from '@flyte-gkp/render';
import type { Change } from '../diff.js';
import { at, isKind, type RiskFinding, type RiskRule } from '../risk.js';

/** The projects a registration ConfigMap (libs/render/src/project-registration.ts) tells flyteadmin, by id. */
function registeredProjects(object: unknown): Map<string, RegisteredProject> | undefined {
  if (at(object, 'metadata', 'labels', 'app.kubernetes.io/name') !== registrationName) return undefined;
  const text = at(object, 'data', registrationProjectsFile);
  if (typeof text !== 'string') return undefined;
  try {
    const { projects } = JSON.parse(text) as { projects?: RegisteredProject[] };
    return new Map((projects ?? []).map((p) => [p.id, p]));
  } catch {
    return undefined; // not ours to judge: kubeconform and the drift check report a broken render
  }
}

/** What changes in Flyte for one project, in a few words; undefined when nothing does. */
function described(before: RegisteredProject | undefined, after: RegisteredProject | undefined): string | undefined {
  const name = (p: RegisteredProject) => JSON.stringify(p.name);
  if (!after) return before && !before.archived ? `${before.id} archived (no spec lists it)` : undefined;
  if (after.archived) return before?.archived ? undefined : `${after.id} archived (every domain decommissioned)`;
  if (!before) return `${after.id} registered as ${name(after)}`;
  if (before.archived) return `${after.id} re-activated as ${name(after)}`;
  const what = [
    before.name !== after.name ? `renamed ${name(after)}` : '',
    before.description !== after.description ? 're-described' : '',
  ].filter(Boolean);
  return what.length ? `${after.id} ${what.join(', ')}` : undefined;
}

function registrationFindings({ changes }: { changes: readonly Change[] }): RiskFinding[] {
  const ours = (c: Change, action: Change['action']) =>
    c.action === action && c.project === null && isKind(c, '', 'ConfigMap');
  return changes
    .filter((c) => ours(c, 'create'))
    .flatMap((change) => {
      const after = registeredProjects(change.head?.object);
      if (!after) return [];
      const before =
        changes
          .filter((c) => ours(c, 'delete') && c.cluster === change.cluster)
          .map((c) => registeredProjects(c.base?.object))
          .find(Boolean) ?? new Map<string, RegisteredProject>();
      const ids = [...new Set([...before.keys(), ...after.keys()])].sort();
      const what = ids.map((id) => described(before.get(id), after.get(id))).filter(Boolean);
      if (!what.length) return [];
      const job = change.name;
      return [
        {
          change,
          message:
            `in Flyte, once Argo CD has synced and the Job ${job} has run: ${what.join('; ')}. ` +
            'Flyte does not restart; until the Job has run, a new project is missing from the console and ' +
            'registering workflows into it fails',
          fix:
            'nothing, unless the Job fails: Argo CD then shows the Flyte Application Degraded; ' +
            `\`kubectl logs job/${job}\` says why`,
        },
      ];
    });
}

export const projectRegistration: RiskRule = {
  id: 'platform/project-registration',
  severity: 'warning',
  description:
    "Flyte's projects change (registered, renamed, re-described, archived, re-activated) " +
    'through a new run of the project registration Job, not a restart.',
  fix: "nothing, unless the Job fails: Argo CD then shows the Flyte Application Degraded, and the Job's log says why",
  check: registrationFindings,
};
