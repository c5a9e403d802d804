import { LineCounter, Parser } from 'yaml';
import type { Cluster } from '@flyte-gkp/platform';
import {
  clusterPaths,
  flyteServiceAccounts,
  platformAppProjectName,
  projectDomains,
  projectOnCluster,
  tenantAppProjectName,
  tenantKinds,
  type RenderedFile,
} from '@flyte-gkp/render';
import { displayPath, type PathSegment, type ProjectSpec, type SourceDocument } from '@flyte-gkp/project-spec';
import type { Finding, LintRule } from '../rule.js';
import { clustersOf, groupBy, idOfItsOwn, introducedClashes, lazyDocuments, matchingPattern } from '../util.js';

export const uniqueBucket: LintRule = {
  id: 'tenancy/bucket',
  description: "Each project has a bucket of its own: no other spec's, not Flyte's metadata bucket.",
  fix: 'use a bucket created for this project alone',
  check(context) {
    const { platform, projects, established } = context;
    const metadata = new Map(platform.clusters.map(({ cluster }) => [cluster.storage.metadataBucket, cluster.name]));
    const shared = introducedClashes(projects, (p) => p.spec.storage.bucket, established).map(
      ({ item: { spec, source, file }, others }) => {
        const prefix = clustersOf(platform, spec)[0]?.cluster.namespacePrefix;
        return {
          file,
          ...source.locate(['storage', 'bucket']),
          message: `the bucket ${spec.storage.bucket} is also the bucket of ${others.map((o) => o.file).join(', ')}`,
          ...(prefix && {
            fix: `use a bucket created for this project alone, e.g. ${prefix}${idOfItsOwn(context, file, spec.id)}`,
          }),
        };
      },
    );
    const flytes = projects
      .filter(({ spec }) => metadata.has(spec.storage.bucket))
      .map(({ spec, source, file }) => ({
        file,
        ...source.locate(['storage', 'bucket']),
        message:
          `the bucket ${spec.storage.bucket} is Flyte's own metadata bucket ` +
          `on ${metadata.get(spec.storage.bucket)}, shared by every project`,
      }));
    return [...shared, ...flytes];
  },
};

export const uniqueSecretName: LintRule = {
  id: 'tenancy/secret-name',
  description: 'Each project names a credentials Secret of its own.',
  fix: "name the project's own Secret, e.g. mercury-<project id>",
  check(context) {
    // The same name in another namespace holds another project's keys: one mix-up and pods read them.
    return introducedClashes(context.projects, (p) => p.spec.storage.credentialsSecret, context.established).map(
      ({ item: { spec, source, file }, others }) => ({
        file,
        ...source.locate(['storage', 'credentialsSecret']),
        message:
          `the Secret name ${spec.storage.credentialsSecret} is also ` +
          `the credentialsSecret of ${others.map((o) => o.file).join(', ')}`,
        fix: `name the project's own Secret, e.g. mercury-${idOfItsOwn(context, file, spec.id)}`,
      }),
    );
  },
};

type Subject = { kind: string; name: string; namespace?: string };
type Kube = {
  kind: string;
  apiVersion: string;
  metadata: { name: string; namespace?: string };
  spec?: {
    project?: string;
    destination?: { namespace?: string };
    destinations?: { namespace?: string }[];
    clusterResourceWhitelist?: { group: string; kind: string }[];
    namespaceResourceWhitelist?: { group: string; kind: string }[];
  };
  subjects?: Subject[];
};
type Problem = { path: PathSegment[]; message: string; fix?: string };

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
type GroupKind = { group: string; kind: string };
const isTenantKind = (kinds: readonly GroupKind[], k: GroupKind) =>
  kinds.some((t) => t.group === k.group && t.kind === k.kind);
const argoKinds = ['Application', 'AppProject'];

/** What one project may own on one cluster. */
interface Scope {
  cluster: Cluster;
  /** The kinds a project may have on the cluster (tenantKinds), worked out once per cluster. */
  kinds: readonly GroupKind[];
  spec: ProjectSpec;
  namespaces: Set<string>;
  appProject: string;
}

function problems(o: Kube, { cluster, kinds, spec, namespaces, appProject }: Scope): Problem[] {
  const name = `${o.kind} ${o.metadata.name}`;
  const found: Problem[] = [];
  const unless = (ok: boolean, path: PathSegment[], message: string) => {
    if (!ok) found.push({ path, message });
  };
  const ownNamespace = (ns: string | undefined, path: PathSegment[], what: string) =>
    unless(
      ns !== undefined && namespaces.has(ns),
      path,
      `${name} ${what} ${ns ?? 'no namespace'}, which is not one of the project's namespaces`,
    );

  if (argoKinds.includes(o.kind)) {
    unless(
      o.metadata.namespace === cluster.argocd.namespace,
      ['metadata', 'namespace'],
      `${name} is not in Argo CD's namespace ${cluster.argocd.namespace}`,
    );
  }
  if (o.kind === 'Application') {
    ownNamespace(o.spec?.destination?.namespace, ['spec', 'destination', 'namespace'], 'deploys to');
  } else if (o.kind === 'AppProject') {
    unless(
      o.metadata.name === appProject,
      ['metadata', 'name'],
      `${name} is not the project's own AppProject ${appProject}`,
    );
    (o.spec?.destinations ?? []).forEach((d, i) =>
      ownNamespace(d.namespace, ['spec', 'destinations', i, 'namespace'], 'lets Argo CD deploy to'),
    );
    (o.spec?.clusterResourceWhitelist ?? []).forEach((k, i) =>
      unless(
        k.group === '' && k.kind === 'Namespace',
        ['spec', 'clusterResourceWhitelist', i, 'kind'],
        `${name} allows the cluster-wide kind ${k.kind} (group ${k.group || 'core'}); ` +
          'a project may only create its Namespaces',
      ),
    );
    (o.spec?.namespaceResourceWhitelist ?? []).forEach((k, i) =>
      unless(
        isTenantKind(kinds, k),
        ['spec', 'namespaceResourceWhitelist', i, 'kind'],
        `${name} allows the kind ${k.kind} (group ${k.group || 'core'}), which is not a tenant kind`,
      ),
    );
  } else if (o.kind === 'Namespace') {
    ownNamespace(o.metadata.name, ['metadata', 'name'], 'is');
  } else if (!isTenantKind(kinds, { group: groupOf(o.apiVersion), kind: o.kind })) {
    found.push({
      path: ['kind'],
      message: `${name} is not a kind a project may have (only Namespace and ${kinds.map((k) => k.kind).join(', ')})`,
    });
  } else {
    ownNamespace(o.metadata.namespace, ['metadata', 'namespace'], 'is in');
  }
  if (o.kind === 'RoleBinding') {
    const groups = new Set(spec.owners.map((owner) => owner.group));
    const flyte: string[] = Object.values(flyteServiceAccounts);
    (o.subjects ?? []).forEach((s, i) =>
      unless(
        s.kind === 'Group'
          ? groups.has(s.name)
          : s.kind === 'ServiceAccount' && s.namespace === cluster.systemNamespace && flyte.includes(s.name),
        ['subjects', i, 'name'],
        `${name} grants access to the ${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}, ` +
          "neither an owner group of the project nor Flyte's own service account",
      ),
    );
  }
  return found;
}

/** Kubernetes' built-in groups stand for whole classes of users: every authenticated user, every service account. */
export const ownerGroupIsTenant: LintRule = {
  id: 'tenancy/owner-group',
  description:
    "No owner is one of Kubernetes' built-in system: groups, " +
    'which stand for every user or service account of the cluster.',
  fix: "name the team's own identity-provider group",
  check({ projects }) {
    return projects.flatMap(({ spec, source, file }) =>
      spec.owners.flatMap((owner, index) =>
        owner.group.startsWith('system:')
          ? [
              {
                file,
                ...source.locate(['owners', index, 'group']),
                message:
                  `the owner group ${owner.group} is a Kubernetes built-in group: ` +
                  `it would give ${owner.role} in this project to users of every tenant`,
              },
            ]
          : [],
      ),
    );
  },
};

/** GKP's identity provider names an application's groups after it: another name is another team's, or none. */
export const ownerGroupNaming: LintRule = {
  id: 'tenancy/owner-group-naming',
  description:
    "Every owner group follows the group naming of the cluster's identity provider (`ownerGroups`, e.g. gkp-103020-*).",
  fix: "name the team's group as the cluster's ownerGroups patterns say",
  check({ platform, projects }) {
    return projects.flatMap(({ spec, source, file }) =>
      clustersOf(platform, spec).flatMap(({ cluster }) => {
        const patterns = cluster.ownerGroups;
        if (!patterns) return [];
        return spec.owners.flatMap((owner, index) =>
          matchingPattern(owner.group, patterns)
            ? []
            : [
                {
                  file,
                  ...source.locate(['owners', index, 'group']),
                  message:
                    `the owner group ${owner.group} does not follow the group naming of ${cluster.name}: ` +
                    patterns.join(', '),
                  fix:
                    `use the team's group named ${patterns.join(' or ')}, ` +
                    `e.g. ${exampleGroup(patterns[0], owner.group)}`,
                },
              ],
        );
      }),
    );
  },
};

/** `gkp-103020-*` and `fraud-admins` give `gkp-103020-fraud-admins`: the name the pattern asks for. */
function exampleGroup(pattern: string, group: string): string {
  return pattern.endsWith('*') ? `${pattern.slice(0, -1)}${group}` : pattern;
}

export const tenantScope: LintRule = {
  id: 'tenancy/scope',
  description:
    'What a project renders stays in its own namespaces, AppProject and owner groups, ' +
    'and no other file renders its Argo CD objects.',
  fix: 'the renderer or a platform input gives the project more than its own: fix that, not the spec',
  check({ platform, projects, rendered }) {
    return platform.clusters.flatMap(({ cluster }) => {
      const files = rendered.get(cluster.name) ?? [];
      // Argo CD objects all live in one namespace: the same name in two files is one object, two owners.
      const argoObjects = files.flatMap((file) =>
        (file.objects as Kube[])
          .filter((o) => argoKinds.includes(o.kind))
          .map((o) => ({ file, key: `${o.kind} ${o.metadata.name}` })),
      );
      const argoByKey = groupBy(argoObjects, (a) => a.key);
      const renderedElsewhere = (file: RenderedFile, key: string) =>
        (argoByKey.get(key) ?? []).map((a) => a.file.path).filter((path) => path !== file.path);
      // Grouped once: filtering every file for every project is quadratic in the number of projects.
      const filesOf = groupBy(files, (file) => file.project);
      const kinds = tenantKinds(cluster);
      return projects
        .filter(({ spec }) => projectOnCluster(spec, cluster))
        .flatMap(({ spec }) => {
          const scope: Scope = {
            cluster,
            kinds,
            spec,
            namespaces: new Set(projectDomains(cluster, spec).map((d) => d.namespace)),
            appProject: tenantAppProjectName(cluster, spec.id),
          };
          const renamed = `rename the project; the platform team should add ${spec.id} to reservedProjectIds`;
          return (filesOf.get(spec.id) ?? []).flatMap((file) => {
            const documents = lazyDocuments(file);
            return (file.objects as Kube[]).flatMap((o, i): Finding[] => {
              const elsewhere = argoKinds.includes(o.kind)
                ? renderedElsewhere(file, `${o.kind} ${o.metadata.name}`)
                : [];
              return [
                ...problems(o, scope),
                ...(elsewhere.length
                  ? [
                      {
                        path: ['metadata', 'name'],
                        message:
                          `${o.kind} ${o.metadata.name} is also rendered by ${elsewhere.join(', ')}: ` +
                          'Argo CD would mix the project with it',
                        fix: renamed,
                      },
                    ]
                  : []),
              ].map(({ path, ...finding }) => ({ file: file.path, ...documents()[i].locate(path), ...finding }));
            });
          });
        });
    });
  },
};

/** Argo CD's built-in AppProject: any repository, any destination, any kind. */
const argoDefaultProject = 'default';

/** Where the root Application's AppProject is named, and why a name there is wrong. */
function rootProjectProblem(cluster: Cluster): { message: string; fix: string } | undefined {
  const root = cluster.argocd.rootProject;
  const prefix = `${cluster.pocName}-`;
  const ownName = `${prefix}root`;
  if (root === argoDefaultProject) {
    return {
      message:
        `argocd.rootProject is Argo CD's ${argoDefaultProject} AppProject, ` +
        'which allows any repository, destination and kind',
      fix: `name the root's own AppProject, e.g. ${ownName}`,
    };
  }
  if (root === platformAppProjectName(cluster)) {
    return {
      message: `argocd.rootProject ${root} is the AppProject of the Flyte platform`,
      fix: `name the root's own AppProject, e.g. ${ownName}`,
    };
  }
  const id = root.startsWith(prefix) ? root.slice(prefix.length) : undefined;
  if (id !== undefined && !matchingPattern(id, cluster.reservedProjectIds)) {
    return {
      message: `argocd.rootProject ${root} is the AppProject a spec with id ${id} would get`,
      fix: `add ${id} to reservedProjectIds, or choose a name that does not start with ${prefix}`,
    };
  }
  return undefined;
}

/**
 * Defence in depth behind tenancy/scope: an Application runs in the AppProject rendered for it beside it
 * (the root's own, the platform's, the project's own), so Argo CD itself refuses what that AppProject
 * does not allow. Argo CD's default AppProject allows everything.
 */
export const applicationProject: LintRule = {
  id: 'tenancy/application-project',
  description:
    'Every Application runs in the AppProject rendered for it ' +
    "(the root's, the platform's or the project's own), never in Argo CD's default.",
  fix:
    'render the Application in its own AppProject; for the root Application, ' +
    'set argocd.rootProject to a name no spec id can produce',
  check({ platform, rendered }) {
    return platform.clusters.flatMap(({ cluster, source }) => {
      const rootProblem = rootProjectProblem(cluster);
      const paths = clusterPaths(cluster);
      const expected = (file: RenderedFile) =>
        file.path === paths.rootApp
          ? cluster.argocd.rootProject
          : file.path === paths.platformApp
            ? platformAppProjectName(cluster)
            : file.project && tenantAppProjectName(cluster, file.project);
      const applications = (rendered.get(cluster.name) ?? []).flatMap((file) => {
        const want = expected(file);
        const objects = file.objects as Kube[];
        const beside = objects.some((o) => o.kind === 'AppProject' && o.metadata.name === want);
        const documents = lazyDocuments(file);
        return objects.flatMap((o, i): Finding[] => {
          if (o.kind !== 'Application' || (o.spec?.project === want && beside && want !== argoDefaultProject))
            return [];
          const name = `Application ${o.metadata.name}`;
          const message = !want
            ? `${name} is in a file no AppProject is rendered for`
            : o.spec?.project === argoDefaultProject
              ? `${name} runs in Argo CD's ${argoDefaultProject} AppProject, ` +
                'which allows any repository, destination and kind'
              : beside
                ? `${name} runs in the AppProject ${o.spec?.project}, not in ${want}`
                : `${name} runs in the AppProject ${o.spec?.project}; ${want}, ` +
                  `the AppProject rendered for it, is not in ${file.path}`;
          return [{ file: file.path, ...documents()[i].locate(['spec', 'project']), message }];
        });
      });
      return [
        ...(rootProblem ? [{ file: source.file, ...source.locate(['argocd', 'rootProject']), ...rootProblem }] : []),
        ...applications,
      ];
    });
  },
};

/** A shape of credential. Each names what it found, never the value. */
interface CredentialShape {
  what: string;
  test: (text: string) => boolean;
  /** A token of a fixed format, also found when a YAML fold or a line break splits it. */
  token?: boolean;
}

/** Shannon entropy in bits per character, as secret scanners (gitleaks, trufflehog) measure random keys. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts.values()].reduce((sum, n) => sum - (n / text.length) * Math.log2(n / text.length), 0);
}
const characterClasses = (text: string) => [/[a-z]/, /[A-Z]/, /[0-9]/].filter((c) => c.test(text)).length;
/**
 * gitleaks' threshold for its generic-api-key rule (config/gitleaks.toml, MIT): below it, a string of key
 * characters reads like a word or an id, above it like a random key.
 */
const keyEntropy = 3.5;

const credentialShapes: CredentialShape[] = [
  {
    what: 'an AWS-style access key id',
    token: true,
    // gitleaks' aws-access-token prefixes (config/gitleaks.toml, MIT), in any case: a key id typed in lower
    // case is still the key id, and the EXAMPLE ids gitleaks allows are refused here too (a spec holds none).
    test: (t) =>
      /(?<![A-Z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/.test(t) ||
      /(?<![a-z0-9])(?:a3t[a-z0-9]|akia|asia|abia|acca)[a-z0-9]{16}(?![a-z0-9])/.test(t),
  },
  { what: 'a 40-hex-digit key or token', test: (t) => /^[0-9a-f]{40}$/i.test(t.trim()) },
  {
    what: 'a secret access key',
    // A value that is nothing but one: 40 key characters, random-looking. (Inside a text, see below.)
    test: (t) => {
      const bare = t.trim();
      return /^[A-Za-z0-9/+]{40}$/.test(bare) && characterClasses(bare) >= 2 && entropy(bare) >= keyEntropy;
    },
  },

  {
    what: 'a GitHub token',
    token: true,
    test: (t) => /(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,})/.test(t),
  },
  { what: 'a Slack token', token: true, test: (t) => /xox[abeoprs]-[0-9]{6,}-[A-Za-z0-9-]{8,}/.test(t) },
  { what: 'a Google API key', token: true, test: (t) => /AIza[0-9A-Za-z_-]{35}/.test(t) },
  {
    what: 'a JSON Web Token',
    token: true,
    test: (t) => /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/.test(t),
  },
  {
    what: 'a PEM private key',
    token: true,
    test: (t) =>
      /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/.test(t) || /-----BEGIN[A-Z0-9]*PRIVATEKEY-----/.test(t),
  },
  { what: 'a PEM key or certificate block', test: (t) => t.includes('-----BEGIN') },
  {
    what: 'a secret access key',
    // 40 base64 characters of mixed case and digits, in a text that talks about keys or secrets.
    test: (t) =>
      /secret|key|password|credential|aws/i.test(t) &&
      (t.match(/(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g) ?? []).some((s) => characterClasses(s) === 3),
  },
  {
    what: 'a password, secret or token assignment',
    test: (t) =>
      /\b(password|passwd|pwd|secret|token|api[-_]?key|access[-_]?key|secret[-_]?key|client[-_]?secret)\s*=\s*\S/i.test(
        t,
      ) || /\b(password|passwd|pwd)\s*:\s*\S/i.test(t),
  },
  { what: 'a URL with a user name and password', test: (t) => /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i.test(t) },
  // Last: a known shape above names what was found more precisely.
  {
    what: 'a high-entropy token',
    // Any run of 32 or more key characters mixing lower case, upper case and digits at random.
    test: (t) => (t.match(/[A-Za-z0-9+/=_-]{32,}/g) ?? []).some((s) => characterClasses(s) === 3 && entropy(s) >= 4),
  },
];

function credentialIn(text: string): CredentialShape | undefined {
  const joined = text.replace(/\s+/g, '');
  return credentialShapes.find((c) => c.test(text) || (c.token === true && joined !== text && c.test(joined)));
}

/**
 * Keys that name a credential (`password:`, `db_password:`, `apiToken:`, `secretAccessKey:`), compared
 * without case and separators. `credentialsSecret` names a Secret, the way a spec should.
 */
const credentialKey =
  /(password|passwd|pwd|secret|token|apikey|accesskey|secretkey|accesskeyid|privatekey|clientsecret)$/;
const secretReferences = new Set(['credentialssecret']);
const namesCredential = (key: string) => {
  const k = key.toLowerCase().replace(/[-_. ]/g, '');
  return credentialKey.test(k) && !secretReferences.has(k);
};
const holdsSomething = (value: unknown) =>
  typeof value === 'string'
    ? value.trim() !== ''
    : typeof value === 'number' || (typeof value === 'object' && value !== null && Object.keys(value).length > 0);

/** The comments of a YAML text, with where each starts: a key pasted into a comment is in git all the same. */
function commentsOf(text: string): { text: string; line: number; column: number }[] {
  const lines = new LineCounter();
  const found: { text: string; line: number; column: number }[] = [];
  const walk = (token: unknown) => {
    if (Array.isArray(token)) token.forEach(walk);
    else if (token !== null && typeof token === 'object') {
      const { type, source, offset } = token as { type?: string; source?: string; offset?: number };
      if (type === 'comment' && typeof source === 'string' && typeof offset === 'number') {
        const { line, col } = lines.linePos(offset);
        found.push({ text: source, line, column: col });
      } else Object.values(token).forEach(walk);
    }
  };
  for (const token of new Parser(lines.addNewLine).parse(text)) walk(token);
  return found;
}

/**
 * Whether a comment could hold a credential, without parsing: every comment is the rest of its line
 * after some `#`, so when no such rest looks like one, no comment does. Spares a second parse of every
 * spec (they all carry the schema comment), ~0.3 s at 1,000 projects.
 */
function mayHoldCredentialComment(text: string): boolean {
  for (let hash = text.indexOf('#'); hash !== -1; hash = text.indexOf('#', hash + 1)) {
    const end = text.indexOf('\n', hash);
    if (credentialIn(text.slice(hash + 1, end === -1 ? undefined : end).replace(/\r$/, ''))) return true;
  }
  return false;
}

/** Every credential in one spec file, valid or not: its values, keys and comments. */
function credentialFindings(source: SourceDocument): Finding[] {
  const findings: Finding[] = [];
  const at = (path: PathSegment[], where: 'key' | 'value') => ({ file: source.file, ...source.locate(path, where) });
  const walk = (value: unknown, path: PathSegment[]) => {
    if (typeof value === 'string') {
      const shape = credentialIn(value);
      if (shape)
        findings.push({
          ...at(path, 'value'),
          message: `${displayPath(path) || 'the document'} looks like it holds ${shape.what}`,
        });
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, item] of Object.entries(value)) {
      const itemPath = [...path, Array.isArray(value) ? Number(key) : key];
      const inKey = Array.isArray(value) ? undefined : credentialIn(key);
      if (inKey) {
        findings.push({
          ...at(itemPath, 'key'),
          message: `a key of ${displayPath(path) || 'the document'} looks like ${inKey.what}`,
        });
      } else if (!Array.isArray(value) && namesCredential(key) && holdsSomething(item)) {
        // Reported at the key, not the value: the message must not repeat what it found.
        findings.push({
          ...at(itemPath, 'key'),
          message:
            `${displayPath(itemPath)} is named like a credential and holds a value: ` +
            'a spec holds no password, secret or token',
        });
        continue;
      }
      walk(item, itemPath);
    }
  };
  walk(source.value, []);
  if (!mayHoldCredentialComment(source.text)) return findings;
  for (const { text, line, column } of commentsOf(source.text)) {
    const shape = credentialIn(text.slice(1));
    if (shape)
      findings.push({ file: source.file, line, column, message: `a comment looks like it holds ${shape.what}` });
  }
  return findings;
}

export const noPlaintextSecret: LintRule = {
  id: 'tenancy/no-plaintext-secret',
  description:
    'No value, key or comment in a spec looks like a credential (an access key id in any case, ' +
    'a secret access key or 40 hex digits as a whole value, a high-entropy token, a known token, ' +
    'a private key, a password, a URL with a password), even in a spec the schema refuses.',
  fix:
    'remove it (and have the key rotated: git keeps it); ' +
    "store the keys in the project's Secret and reference it by name in storage.credentialsSecret",
  readsRefusedSpecs: true,
  check({ projects, refusedSpecs }) {
    return [...projects.map((p) => p.source), ...refusedSpecs].flatMap(credentialFindings);
  },
};
