import { posix } from 'node:path';
import { namespaceName, projectDomains, projectOnCluster } from '@flyte-gkp/render';
import type { PathSegment } from '@flyte-gkp/project-spec';
import type { Finding, LintRule } from '../rule.js';
import {
  clustersOf,
  idOfItsOwn,
  introducedClashes,
  matchingPattern,
  namespaceTemplatePath,
  renderedFlyteValues,
  valueAt,
} from '../util.js';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const namespaceIsDnsLabel: LintRule = {
  id: 'naming/dns-label',
  description: 'Every namespace a spec renders is a DNS-1123 label of at most 63 characters.',
  fix: 'shorten the project id',
  check({ platform, projects }) {
    return projects.flatMap(({ spec, source, file }) =>
      clustersOf(platform, spec).flatMap(({ cluster }) =>
        projectDomains(cluster, spec)
          .filter((d) => d.namespace.length > 63 || !dnsLabel.test(d.namespace))
          .map((d) => ({
            file,
            ...source.locate(['id']),
            message:
              `the namespace ${d.namespace} is not a DNS-1123 label ` +
              `of at most 63 characters (${d.namespace.length})`,
            fix: `use a project id of at most ${63 - namespaceName(cluster, '', d.domain).length} characters`,
          })),
      ),
    );
  },
};

export const fileNamedAfterId: LintRule = {
  id: 'naming/file-name',
  description: 'A spec file is named after its project id: <id>.yaml, <id>.yml or <id>.json.',
  fix: 'rename the file after the project id',
  check(context) {
    return context.projects.flatMap(({ spec, source, file }) => {
      const name = posix.basename(file);
      if ([`${spec.id}.yaml`, `${spec.id}.yml`, `${spec.id}.json`].includes(name)) return [];
      // A copy of another spec keeps that spec's id, and a file of that name exists: the id is what changes.
      const own = idOfItsOwn(context, file, spec.id);
      return [
        {
          file,
          ...source.locate(['id']),
          message: `the project id is ${spec.id} but the file is named ${name}`,
          fix:
            own === spec.id
              ? `rename the file to ${spec.id}${posix.extname(name)}`
              : `the id ${spec.id} is taken: set id: ${own}${renameTo(own, file)}`,
        },
      ];
    });
  },
};

/** Nothing when the file is named after `id` already, else the renaming that goes with the new id. */
const renameTo = (id: string, file: string) =>
  posix.basename(file).replace(/\.[^.]+$/, '') === id
    ? ' (the file name)'
    : `, and rename the file to ${id}${posix.extname(file)}`;

export const uniqueNames: LintRule = {
  id: 'naming/unique',
  description:
    'Project ids and the namespaces they render are unique, ' +
    'and no namespace is the system namespace or a reserved one.',
  fix: 'choose another project id',
  check(context) {
    const { platform, projects, established } = context;
    const ids = introducedClashes(projects, (p) => p.spec.id, established).map(
      ({ item: { spec, source, file }, others }) => {
        const own = idOfItsOwn(context, file, spec.id);
        return {
          file,
          ...source.locate(['id']),
          message: `the project id ${spec.id} is also the id of ${others.map((o) => o.file).join(', ')}`,
          fix: `give this project an id no spec has: set id: ${own}${renameTo(own, file)}`,
        };
      },
    );
    const namespaces = platform.clusters.flatMap(({ cluster }) => {
      const onCluster = projects
        .filter((p) => projectOnCluster(p.spec, cluster))
        .flatMap((p) => projectDomains(cluster, p.spec).map((d) => ({ ...p, ...d })));
      // Specs sharing an id are reported above; here only different ids that meet in one namespace.
      const shared = introducedClashes(onCluster, (n) => n.namespace, established)
        .map(({ item, others }) => ({ item, others: others.filter((o) => o.spec.id !== item.spec.id) }))
        .filter(({ others }) => others.length > 0)
        .map(({ item: { source, file, namespace }, others }) => ({
          file,
          ...source.locate(['id']),
          message:
            `the namespace ${namespace} on ${cluster.name} is also rendered ` +
            `by ${others.map((o) => `${o.file} (domain ${o.domain})`).join(', ')}`,
        }));
      const reserved = onCluster.flatMap(({ source, file, namespace }) => {
        const pattern = matchingPattern(namespace, cluster.reservedNamespaces);
        const why =
          namespace === cluster.systemNamespace
            ? "Flyte's own system namespace"
            : pattern && `reservedNamespaces: ${pattern}`;
        return why
          ? [
              {
                file,
                ...source.locate(['id']),
                message: `the namespace ${namespace} on ${cluster.name} is reserved (${why})`,
              },
            ]
          : [];
      });
      return [...shared, ...reserved];
    });
    return [...ids, ...namespaces];
  },
};

export const idNotReserved: LintRule = {
  id: 'naming/reserved-id',
  description: 'A project id does not match the reservedProjectIds of a cluster it is on.',
  fix: 'choose another project id',
  check({ platform, projects }) {
    return projects.flatMap(({ spec, source, file }) =>
      clustersOf(platform, spec).flatMap(({ cluster }) => {
        const pattern = matchingPattern(spec.id, cluster.reservedProjectIds);
        return pattern
          ? [
              {
                file,
                ...source.locate(['id']),
                message: `the project id ${spec.id} is reserved on ${cluster.name} (reservedProjectIds: ${pattern})`,
              },
            ]
          : [];
      }),
    );
  },
};

/** flyteadmin's own default when the values set no template. */
const flyteadminDefaultTemplate = '{{ project }}-{{ domain }}';

export const clusterConvention: LintRule = {
  id: 'naming/cluster-convention',
  description:
    "A cluster follows GKP's <appId>-<pocName>-<env> naming, " +
    "and Flyte's namespace template yields the namespaces rendered.",
  fix:
    'name the cluster as GKP does: namespacePrefix <appId>-<pocName>-, ' +
    'systemNamespace <appId>-<pocName>-<env>, domains <name>-<env>',
  check(context) {
    return context.platform.clusters.flatMap(({ cluster, source }) => {
      const at = (path: PathSegment[]) => ({ file: source.file, ...source.locate(path) });
      const base = `${cluster.appId}-${cluster.pocName}`;
      const findings: Finding[] = [];
      if (cluster.namespacePrefix !== `${base}-`) {
        findings.push({
          ...at(['namespacePrefix']),
          message:
            `namespacePrefix is ${cluster.namespacePrefix} ` +
            `but GKP names project namespaces ${base}-<project>-<env>`,
          fix: `set namespacePrefix: ${base}-`,
        });
      }
      if (cluster.systemNamespace !== `${base}-${cluster.env}`) {
        findings.push({
          ...at(['systemNamespace']),
          message:
            `systemNamespace is ${cluster.systemNamespace} ` +
            `but Flyte's own namespace on GKP is ${base}-${cluster.env}`,
          fix: `set systemNamespace: ${base}-${cluster.env}`,
        });
      }
      cluster.domains.forEach((domain, i) => {
        if (!domain.endsWith(`-${cluster.env}`)) {
          findings.push({
            ...at(['domains', i]),
            message: `the domain ${domain} does not end with -${cluster.env}, the cluster's env`,
            fix: `rename it to <name>-${cluster.env}, e.g. d-${cluster.env}`,
          });
        }
      });
      // flyteadmin creates executions in the namespace its template names: it must be the one rendered.
      const template = valueAt(renderedFlyteValues(context, cluster)?.value, namespaceTemplatePath);
      const effective = typeof template === 'string' ? template : flyteadminDefaultTemplate;
      const mismatch = context.projects
        .filter((p) => projectOnCluster(p.spec, cluster))
        .flatMap(({ spec }) => projectDomains(cluster, spec).map((d) => ({ id: spec.id, ...d })))
        .map((d) => ({
          ...d,
          mapped: effective.replace(/\{\{ (project|domain) \}\}/g, (_, key: string) =>
            key === 'project' ? d.id : d.domain,
          ),
        }))
        .find((d) => d.mapped !== namespaceName(cluster, d.id, d.domain));
      if (mismatch) {
        findings.push({
          ...at(['namespacePrefix']),
          message:
            "Flyte's namespace_mapping.template " +
            `${effective}${effective === template ? '' : " (flyteadmin's default: the values set none)"} ` +
            `maps project ${mismatch.id}, domain ${mismatch.domain} to ${mismatch.mapped}, ` +
            `but its namespace is ${mismatch.namespace}`,
          fix:
            'keep {{ project }} and {{ domain }} out of namespacePrefix; ' +
            'if the prefix is plain, the renderer writes a wrong template',
        });
      }
      return findings;
    });
  },
};

/** flyteadmin v0.6.13's limits on a project (ValidateProjectRegisterRequest), counted in bytes as Go's len() does. */
const flyteProjectLimits = [
  { field: 'displayName', flyte: 'name', bytes: 64 },
  { field: 'description', flyte: 'description', bytes: 300 },
] as const;

export const flyteProjectText: LintRule = {
  id: 'naming/flyte-limits',
  description:
    "The display name and description fit flyteadmin's limits (64 and 300 bytes of UTF-8): " +
    'a longer one makes the project registration Job fail for that project.',
  fix: 'shorten the text',
  check({ projects }) {
    return projects.flatMap(({ spec, source, file }) =>
      flyteProjectLimits.flatMap(({ field, flyte, bytes }) => {
        const size = Buffer.byteLength(spec[field] ?? '', 'utf8');
        if (size <= bytes) return [];
        return [
          {
            file,
            ...source.locate([field]),
            message:
              `the ${field} is ${size} bytes of UTF-8; ` +
              `flyteadmin refuses a project ${flyte} of more than ${bytes}`,
            fix: `shorten the ${field} to at most ${bytes} bytes (${bytes} characters without accents or symbols)`,
          },
        ];
      }),
    );
  },
};
