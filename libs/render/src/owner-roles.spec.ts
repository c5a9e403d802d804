// Each owner role's effective permissions, computed from the objects render committed for project x
// (what Argo CD applies), binding by binding: what a member of an owner group may do in x's namespaces.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '@flyte-gkp/testing';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string }[];
}

const manifests = join(repoRoot, 'clusters/gkp-dev/projects/x/manifests');
const objects: RbacObject[] = readdirSync(manifests).flatMap((file) =>
  parseAllDocuments(readFileSync(join(manifests, file), 'utf8')).map((doc) => doc.toJS() as RbacObject),
);
const spec = readFileSync(join(repoRoot, 'projects/x.yaml'), 'utf8');
const groupOf = (role: string) => new RegExp(`group: (\\S+)\\n\\s+role: ${role}\\b`).exec(spec)?.[1];

/** `group/resource` → verbs, for a group in a namespace: the union over every binding naming the group. */
function effectiveVerbs(group: string, namespace: string): Map<string, Set<string>> {
  const verbs = new Map<string, Set<string>>();
  const bindings = objects.filter(
    (o) =>
      o.kind === 'RoleBinding' &&
      o.metadata.namespace === namespace &&
      o.subjects?.some((s) => s.kind === 'Group' && s.name === group),
  );
  expect(bindings.length, `${group} in ${namespace}`).toBeGreaterThan(0);
  for (const binding of bindings) {
    // Only a Role rendered here is readable from the rendered objects: a ClusterRole would be the cluster's.
    expect(binding.roleRef?.kind).toBe('Role');
    const role = objects.find(
      (o) => o.kind === 'Role' && o.metadata.namespace === namespace && o.metadata.name === binding.roleRef?.name,
    );
    for (const rule of role!.rules ?? [])
      for (const apiGroup of rule.apiGroups)
        for (const resource of rule.resources) {
          const key = `${apiGroup}/${resource}`;
          verbs.set(key, new Set([...(verbs.get(key) ?? []), ...rule.verbs]));
        }
  }
  return verbs;
}

const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
const writes = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const can = (verbs: Map<string, Set<string>>, resource: string, verb: string) =>
  [resource, '*/*', `${resource.split('/')[0]}/*`].some((key) => verbs.get(key)?.has(verb) || verbs.get(key)?.has('*'));

describe.each(['admin', 'edit'])('the %s owners of x, in each of its namespaces', (role) => {
  const group = groupOf(role);

  it.each(namespaces)('cannot write the fences of %s, nor grant anything to anyone', (namespace) => {
    const verbs = effectiveVerbs(group!, namespace);
    for (const fence of [
      'networking.k8s.io/networkpolicies',
      '/resourcequotas',
      '/limitranges',
      'rbac.authorization.k8s.io/roles',
      'rbac.authorization.k8s.io/rolebindings',
      '/serviceaccounts',
    ])
      for (const verb of writes) expect(can(verbs, fence, verb), `${verb} ${fence}`).toBe(false);
    for (const [resource, granted] of verbs) {
      expect(resource, 'no wildcard resource').not.toMatch(/\*/);
      for (const verb of ['escalate', 'bind', 'impersonate', '*']) expect(granted.has(verb), resource).toBe(false);
    }
    expect(can(verbs, 'flyte.lyft.com/flyteworkflows', 'get')).toBe(true);
    for (const verb of writes) expect(can(verbs, 'flyte.lyft.com/flyteworkflows', verb), verb).toBe(false);
  });

  it.each(namespaces)('keeps what running and debugging workflows takes in %s', (namespace) => {
    const verbs = effectiveVerbs(group!, namespace);
    for (const [resource, verb] of [
      ['/pods', 'create'],
      ['/pods', 'delete'],
      ['/pods/log', 'get'],
      ['/pods/exec', 'create'],
      ['/pods/portforward', 'create'],
      ['/secrets', 'create'],
      ['/secrets', 'update'],
      ['/configmaps', 'create'],
      ['/configmaps', 'patch'],
    ])
      expect(can(verbs, resource, verb), `${verb} ${resource}`).toBe(true);
  });
});

describe("the view owners (y's readers)", () => {
  it('read pods, logs and workflows; write nothing, exec nowhere, and never read Secrets', () => {
    const manifestsY = join(repoRoot, 'clusters/gkp-dev/projects/y/manifests');
    const docs = readdirSync(manifestsY).flatMap((file) =>
      parseAllDocuments(readFileSync(join(manifestsY, file), 'utf8')).map((doc) => doc.toJS() as RbacObject),
    );
    objects.push(...docs);
    for (const namespace of docs.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)) {
      const verbs = effectiveVerbs('gkp-103020-readers', namespace);
      for (const [resource, granted] of verbs)
        for (const verb of writes) expect(granted.has(verb), `${verb} ${resource}`).toBe(false);
      expect(can(verbs, '/pods/exec', 'create')).toBe(false);
      expect(can(verbs, '/secrets', 'get')).toBe(false);
      expect(can(verbs, '/pods', 'list') && can(verbs, '/pods/log', 'get')).toBe(true);
      expect(can(verbs, 'flyte.lyft.com/flyteworkflows', 'list')).toBe(true);
    }
  });
});
