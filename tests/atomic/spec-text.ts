/** A minimal valid spec for project `id`; `label` goes into its display name, so a new label changes its output. */
export const spec = (id: string, label: string) =>
  [
    'apiVersion: flytepoc.gkp.io/v1alpha1',
    'kind: FlyteProject',
    `id: ${id}`,
    `displayName: ${label} ${id}`,
    'owners:',
    `  - group: team-${id}`,
    '    role: admin',
    'storage:',
    `  bucket: 103020-flytepoc-${id}`,
    `  credentialsSecret: mercury-${id}`,
    '',
  ].join('\n');
