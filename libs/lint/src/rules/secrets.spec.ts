// secrets/vault-scope on a real render, then on renders tampered with as a broken renderer or a hand edit
// would: each must come out as a finding of the file at fault, never pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlatform, type Platform } from '@flyte-gkp/platform';
import { diskSource } from '@flyte-gkp/project-spec';
import { exampleProject as project } from '@flyte-gkp/testing';
import { renderCluster, type RenderedFile } from '@flyte-gkp/render';
import type { LintContext } from '../rule.js';
import { repoRoot } from '../testing.js';
import { vaultScope } from './secrets.js';

let platform: Platform;
beforeAll(async () => {
  const loaded = await loadPlatform(diskSource(repoRoot));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  platform = loaded.platform;
});

type Mutable = {
  kind: string;
  metadata: { name: string };
  // `any`: tampered with field by field.
  spec: Record<string, any>;
};

/** The rule's findings on a render of projects a and b, after `tamper` changed it. */
function findings(tamper: (files: RenderedFile[]) => void = () => undefined) {
  const projects = [project('a'), project('b')];
  const files = renderCluster(platform.clusters[0], platform.pins, projects);
  tamper(files);
  const context: LintContext = {
    platform,
    projects,
    refusedSpecs: [],
    rendered: new Map([[platform.clusters[0].cluster.name, files]]),
  };
  return vaultScope.check(context);
}

const manifest = (files: RenderedFile[], id: string, domain: string) =>
  files.find((f) => f.path === `clusters/gkp-dev/projects/${id}/manifests/${domain}.yaml`)!;
const object = (files: RenderedFile[], id: string, domain: string, kind: string) =>
  manifest(files, id, domain).objects.find((o) => (o as Mutable).kind === kind) as Mutable;

describe('secrets/vault-scope', () => {
  it('passes the render as it is', () => {
    expect(findings()).toEqual([]);
  });

  it('refuses a ClusterSecretStore', () => {
    const found = findings((files) => {
      object(files, 'a', 'd-dev', 'SecretStore').kind = 'ClusterSecretStore';
    });
    expect(found).toContainEqual(
      expect.objectContaining({
        file: 'clusters/gkp-dev/projects/a/manifests/d-dev.yaml',
        line: expect.any(Number),
        message: expect.stringContaining('ClusterSecretStore 103020-flytepoc-a-d-dev: a project has a SecretStore'),
      }),
    );
  });

  it("refuses a store without serviceAccountRef: it would log in with the operator's own token", () => {
    const found = findings((files) => {
      delete object(files, 'a', 't-dev', 'SecretStore').spec.provider.vault.auth.kubernetes.serviceAccountRef;
    });
    expect(found).toContainEqual(
      expect.objectContaining({
        file: 'clusters/gkp-dev/projects/a/manifests/t-dev.yaml',
        message: expect.stringContaining('the ServiceAccount of SecretStore 103020-flytepoc-a-t-dev is undefined'),
      }),
    );
  });

  it("refuses another project's path, role or store", () => {
    const found = findings((files) => {
      object(files, 'a', 'd-dev', 'ExternalSecret').spec.data[0].remoteRef.key = '103020/flytepoc-b/mercury';
      object(files, 'a', 'p-dev', 'SecretStore').spec.provider.vault.auth.kubernetes.role = '103020-flytepoc-b-p-dev';
      object(files, 'a', 't-dev', 'ExternalSecret').spec.secretStoreRef.name = '103020-flytepoc-b-t-dev';
    });
    const messages = found.map((f) => `${f.file}: ${f.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/a\/manifests\/d-dev\.yaml: what ExternalSecret mercury-a reads .*flytepoc-b/),
        expect.stringMatching(/a\/manifests\/p-dev\.yaml: the Vault role .* is "103020-flytepoc-b-p-dev"/),
        expect.stringMatching(/a\/manifests\/t-dev\.yaml: the store of ExternalSecret mercury-a .*flytepoc-b-t-dev/),
      ]),
    );
  });

  it("parses the Vault files: a role bound to another project's namespace, a policy reading more", () => {
    const found = findings((files) => {
      const role = files.find((f) => f.path.endsWith('/a/vault/roles/103020-flytepoc-a-d-dev.json'))!;
      role.content = role.content.replace('103020-flytepoc-a-d-dev', '103020-flytepoc-b-d-dev');
      const policy = files.find((f) => f.path.endsWith('/a/vault/policies/103020-flytepoc-a-mercury.json'))!;
      policy.content = policy.content.replace('flytepoc-a/mercury', 'flytepoc-a/*');
    });
    expect(found.map((f) => f.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('bound_service_account_namespaces is ["103020-flytepoc-b-d-dev"]'),
        expect.stringContaining('the policy grants {"path":{"secret/data/103020/flytepoc-a/*"'),
      ]),
    );
  });

  it('reports a namespace left without the ExternalSecret making its Secret', () => {
    const found = findings((files) => {
      const file = manifest(files, 'b', 'p-dev');
      file.objects = file.objects.filter((o) => (o as Mutable).kind !== 'ExternalSecret');
    });
    expect(found).toContainEqual(
      expect.objectContaining({
        file: 'projects/b.yaml',
        message: 'no ExternalSecret makes the Secret mercury-b in 103020-flytepoc-b-p-dev',
      }),
    );
  });
});
