// A namespace reads its project's keys from Vault as itself and nothing else: checked on what is rendered
// (the operator's objects and the Vault files the platform team applies), against names derived here from
// the cluster file and the project id alone.
import { isDeepStrictEqual } from 'node:util';
import { basename } from 'node:path';
import { externalSecretsOf, type Cluster, type VaultSettings } from '@flyte-gkp/platform';
import {
  credentialFields,
  projectDomains,
  projectOnCluster,
  vaultFileAt,
  vaultNames,
  vaultServiceAccount,
  type ProjectInput,
  type RenderedFile,
  type VaultNames,
} from '@flyte-gkp/render';
import type { PathSegment } from '@flyte-gkp/project-spec';
import type { Finding, LintContext, LintRule } from '../rule.js';
import { groupBy, lazyDocuments, valueAt } from '../util.js';

/** The operator's kinds that reach across namespaces or write to Vault: never rendered (and turned off in it). */
const forbiddenKinds = ['ClusterSecretStore', 'ClusterExternalSecret', 'PushSecret', 'ClusterPushSecret'];
const operatorGroups = ['external-secrets.io', 'generators.external-secrets.io'];

type Kube = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } };

/** An object of the operator's own API groups, or of its kinds that reach across namespaces. */
const isOperatorObject = (o: Kube) =>
  forbiddenKinds.includes(o.kind ?? '') || operatorGroups.includes(o.apiVersion?.split('/')[0] ?? '');
type Problem = { path: PathSegment[]; message: string };

/** Which template must name {project} and {domain}: one path and policy per project, one role per namespace. */
const templateParts: { key: keyof VaultSettings; project: boolean; domain: boolean }[] = [
  { key: 'path', project: true, domain: false },
  { key: 'policy', project: true, domain: false },
  { key: 'role', project: true, domain: true },
];

function templateFindings({ platform }: LintContext): Finding[] {
  return platform.clusters.flatMap(({ cluster, source }) => {
    const vault = externalSecretsOf(cluster)?.vault;
    if (!vault) return [];
    return templateParts.flatMap(({ key, project, domain }): Finding[] => {
      const text = vault[key];
      const tokens: [string, boolean][] = [
        ['{project}', project],
        ['{domain}', domain],
      ];
      const problems = tokens.flatMap(([token, needed]) =>
        text.includes(token) === needed ? [] : [`${needed ? 'lacks' : 'holds'} ${token}`],
      );
      return problems.map((problem) => ({
        file: source.file,
        ...source.locate(['projectCredentials', 'vault', key]),
        message: `projectCredentials.vault.${key} ${text} ${problem}: ${
          key === 'role'
            ? 'each namespace needs a role of its own'
            : 'each project needs one of its own, for all its domains'
        }`,
        fix: `write the ${key} as a template of {project}${domain ? ' and {domain}' : ' alone'}`,
      }));
    });
  });
}

interface Owned {
  project: ProjectInput;
  /** Namespace → its domain's names. */
  byNamespace: Map<string, VaultNames>;
}

/** Flyte's own keys, or another project's: a project whose derived names meet them would read them. */
function ownershipFindings(cluster: Cluster, owned: Owned[]): Finding[] {
  const flyte = cluster.storage.flyteCredentials;
  const claims = owned.flatMap(({ project, byNamespace }) =>
    [...byNamespace.values()].flatMap((names) => [
      { project, what: 'Vault path', value: names.path },
      { project, what: 'Vault policy', value: names.policy },
      { project, what: 'Vault role', value: names.role },
    ]),
  );
  const byValue = groupBy(claims, (c) => `${c.what}\0${c.value}`);
  const seen = new Set<string>();
  return claims.flatMap(({ project, what, value }): Finding[] => {
    const others = [...new Set((byValue.get(`${what}\0${value}`) ?? []).map((c) => c.project))].filter(
      (p) => p !== project,
    );
    const flytes =
      (what === 'Vault path' && value === flyte.vaultPath) || (what === 'Vault role' && value === flyte.vaultRole);
    const key = `${project.file}\0${what}\0${value}`;
    const owner = flytes ? "Flyte's own" : `that of ${others.map((o) => o.file).join(', ')}`;
    if ((!flytes && others.length === 0) || seen.has(key)) return [];
    seen.add(key);
    return [
      {
        file: project.file,
        ...project.source.locate(['id']),
        message: `the project's ${what} ${value} is also ${owner}: it would read keys not its own`,
        fix: `rename the project; the platform team should add ${project.spec.id} to reservedProjectIds`,
      },
    ];
  });
}

/** What is wrong with one rendered object of a namespace of the project, if anything. */
function objectProblems(
  o: Kube,
  names: VaultNames | undefined,
  project: ProjectInput,
  vault: VaultSettings,
): Problem[] {
  const found: Problem[] = [];
  const expect = (path: PathSegment[], want: unknown, what: string) => {
    const have = valueAt(o, path);
    if (!isDeepStrictEqual(have, want))
      found.push({ path, message: `${what} is ${JSON.stringify(have)}, not ${JSON.stringify(want)}` });
  };
  const name = `${o.kind} ${o.metadata?.name}`;
  if (!names) return [{ path: ['metadata', 'namespace'], message: `${name} is in no namespace of the project` }];
  if (o.kind === 'SecretStore') {
    const vaultPath = ['spec', 'provider', 'vault'];
    const auth = [...vaultPath, 'auth'];
    expect(['metadata', 'name'], names.store, `the name of ${name}`);
    expect(['spec', 'provider'], { vault: valueAt(o, vaultPath) }, `the providers of ${name}`);
    expect([...vaultPath, 'server'], vault.server, `the Vault of ${name}`);
    expect([...vaultPath, 'path'], names.mount, `the KV mount of ${name}`);
    expect([...vaultPath, 'version'], 'v2', `the KV version of ${name}`);
    expect(auth, { kubernetes: valueAt(o, [...auth, 'kubernetes']) }, `the login of ${name}`);
    expect([...auth, 'kubernetes', 'role'], names.role, `the Vault role of ${name}`);
    expect([...auth, 'kubernetes', 'mountPath'], vault.kubernetesAuthPath, `the auth mount of ${name}`);
    // Without it the operator logs in with its controller's own token, which no role may be bound to.
    expect(
      [...auth, 'kubernetes', 'serviceAccountRef'],
      { name: vaultServiceAccount, audiences: [vault.audience] },
      `the ServiceAccount of ${name}`,
    );
  } else if (o.kind === 'ExternalSecret') {
    expect(['spec', 'secretStoreRef'], { kind: 'SecretStore', name: names.store }, `the store of ${name}`);
    expect(['spec', 'target', 'name'], project.spec.storage.credentialsSecret, `the Secret of ${name}`);
    expect(['spec', 'dataFrom'], undefined, `the dataFrom of ${name}`);
    expect(
      ['spec', 'data'],
      Object.entries(credentialFields).map(([secretKey, property]) => ({
        secretKey,
        remoteRef: { key: names.key, property },
      })),
      `what ${name} reads`,
    );
  } else {
    // Called for the operator's objects only: any other kind of it is one a project must not have.
    found.push({ path: ['kind'], message: `${name}: a project has a SecretStore and an ExternalSecret, nothing else` });
  }
  return found;
}

/** The Vault file's own text, parsed as Vault reads it, against the names of the project's namespaces. */
function vaultFileProblems(file: RenderedFile, owned: Owned, vault: VaultSettings): string[] {
  let body: unknown;
  try {
    body = JSON.parse(file.content);
  } catch (error) {
    return [`is not JSON Vault can read: ${(error as Error).message}`];
  }
  const name = basename(file.path, '.json');
  const all = [...owned.byNamespace];
  const policy = all[0]?.[1].policy;
  if (vaultFileAt(file.path)?.kind === 'policy') {
    const path = all[0]?.[1].path;
    const want = { path: { [path]: { capabilities: ['read'] } } };
    if (name !== policy) return [`the policy ${name} is not the project's ${policy}`];
    return isDeepStrictEqual(body, want)
      ? []
      : [`the policy grants ${JSON.stringify(body)}, not read on ${path} alone`];
  }
  const entry = all.find(([, names]) => names.role === name);
  if (!entry) return [`the role ${name} is no role of the project's namespaces`];
  const want = {
    bound_service_account_names: [vaultServiceAccount],
    bound_service_account_namespaces: [entry[0]],
    audience: vault.audience,
    token_policies: [policy],
  };
  const have = (body ?? {}) as Record<string, unknown>;
  const wrong = Object.entries(want).filter(([key, value]) => !isDeepStrictEqual(have[key], value));
  return wrong.map(([key, value]) => `the role's ${key} is ${JSON.stringify(have[key])}, not ${JSON.stringify(value)}`);
}

function renderedFindings(cluster: Cluster, files: RenderedFile[], owned: Owned[]): Finding[] {
  const settings = externalSecretsOf(cluster);
  const ownedBy = new Map(owned.map((o) => [o.project.spec.id, o]));
  return files.flatMap((file): Finding[] => {
    const mine = file.project === undefined ? undefined : ownedBy.get(file.project);
    if (file.type === 'vault') {
      const problems =
        settings && mine ? vaultFileProblems(file, mine, settings.vault) : ['is rendered where no Vault is used'];
      return problems.map((message) => ({ file: file.path, message: `${file.path} ${message}` }));
    }
    const documents = lazyDocuments(file);
    return (file.objects as Kube[]).flatMap((o, i) => {
      if (!isOperatorObject(o)) return [];
      const problems: Problem[] =
        settings && mine
          ? objectProblems(o, mine.byNamespace.get(o.metadata?.namespace ?? ''), mine.project, settings.vault)
          : [
              {
                path: ['kind'],
                message: `${o.kind} ${o.metadata?.name} is rendered where no project's keys come from Vault`,
              },
            ];
      return problems.map(({ path, message }) => ({ file: file.path, ...documents()[i].locate(path), message }));
    });
  });
}

/** Every domain namespace of a project, on a cluster syncing keys from Vault, has the ExternalSecret of its Secret. */
function missingFindings(files: RenderedFile[], owned: Owned[]): Finding[] {
  // A focused run renders some projects only: the others have no files to look at.
  const rendered = new Set(files.map((f) => f.project));
  const made = new Set(
    files.flatMap((f) =>
      (f.objects as Kube[]).filter((o) => o.kind === 'ExternalSecret').map((o) => o.metadata?.namespace),
    ),
  );
  return owned
    .filter(({ project }) => rendered.has(project.spec.id))
    .flatMap(({ project, byNamespace }) =>
      [...byNamespace.keys()]
        .filter((namespace) => !made.has(namespace))
        .map((namespace) => ({
          file: project.file,
          ...project.source.locate(['storage', 'credentialsSecret']),
          message: `no ExternalSecret makes the Secret ${project.spec.storage.credentialsSecret} in ${namespace}`,
        })),
    );
}

export const vaultScope: LintRule = {
  id: 'secrets/vault-scope',
  description:
    "Each namespace reads only its own project's Vault path, logging in as a ServiceAccount of its own " +
    "through a namespaced SecretStore with this project's role; no cluster-wide store.",
  fix: "the renderer or the cluster file gives a namespace more than its own project's keys: fix that, never the spec",
  check(context) {
    return [
      ...templateFindings(context),
      ...context.platform.clusters.flatMap(({ cluster }) => {
        const settings = externalSecretsOf(cluster);
        // Two specs of one id render into one folder and share every name: naming/unique reports that cause.
        const onCluster = context.projects.filter(({ spec }) => projectOnCluster(spec, cluster));
        const sharedIds = new Set(
          [...groupBy(onCluster, ({ spec }) => spec.id)].filter(([, specs]) => specs.length > 1).map(([id]) => id),
        );
        const owned: Owned[] = settings
          ? onCluster
              .filter(({ spec }) => !sharedIds.has(spec.id))
              .map((project) => ({
                project,
                byNamespace: new Map(
                  projectDomains(cluster, project.spec).map((d) => [
                    d.namespace,
                    vaultNames(settings.vault, project.spec.id, d.domain),
                  ]),
                ),
              }))
          : [];
        const files = (context.rendered.get(cluster.name) ?? []).filter(
          (f) => f.project === undefined || !sharedIds.has(f.project),
        );
        return [
          ...ownershipFindings(cluster, owned),
          ...renderedFindings(cluster, files, owned),
          ...missingFindings(files, owned),
        ];
      }),
    ];
  },
};
