// `npm run docs`: rewrites the tables of README.md and docs/ that restate data (the spec's fields, the rules,
// the cluster-scoped exceptions) from that data, between their BEGIN/END GENERATED comments. `--check`
// writes nothing and fails naming each stale block; generate.spec.ts runs the same check in `npm test`.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { clusterScopedTable, loadWorkspace } from '@flyte-gkp/gate';
import { rules as lintRules } from '@flyte-gkp/lint';
import { riskRules } from '@flyte-gkp/plan';
import { externalSecretsOf } from '@flyte-gkp/platform';
import { projectDomains, projectOnCluster, tenantAppProjectName, vaultNames } from '@flyte-gkp/render';
import type { Role } from 'kubernetes-types/rbac/v1';
import projectSchema from '../../libs/project-spec/project.schema.json' with { type: 'json' };

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const docsCommand = 'npm run docs';

/** A JSON Schema node, as much of it as the field table reads. */
interface SchemaNode {
  $ref?: string;
  title?: string;
  description?: string;
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  propertyNames?: SchemaNode;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  uniqueItems?: boolean;
  definitions?: Record<string, SchemaNode>;
}

const schema = projectSchema as SchemaNode;

/** A node with its `$ref` followed; the referring node's own annotations (its title) win. */
function resolved(node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const name = node.$ref.replace('#/definitions/', '');
  const target = schema.definitions?.[name];
  if (!target) throw new Error(`project.schema.json: ${node.$ref} names no definition`);
  const { $ref: _ref, ...own } = node;
  return { ...resolved(target), ...own };
}

/** A Markdown table cell: pipes escaped, and `<...>` outside code spans kept as text, not read as HTML. */
function cell(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('')
    .replace(/\|/g, '\\|');
}

const clause = (text: string) => text.replace(/\.$/, '');
const sentence = (text: string) => (text ? `${text[0].toUpperCase()}${clause(text.slice(1))}.` : '');

/** What a valid value looks like, from the schema's keywords. */
function valueOf(node: SchemaNode): string {
  const parts: string[] = [];
  if (node.title && node.description) parts.push(node.description);
  if (node.enum) parts.push(`one of ${node.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  else if (node.type === 'integer') parts.push(`a whole number from ${node.minimum} to ${node.maximum}`);
  else if (node.type === 'boolean') parts.push('`true` or `false`');
  else if (node.type === 'string' && node.maxLength && !parts.join().includes(String(node.maxLength)))
    parts.push(`at most ${node.maxLength} characters`);
  else if (node.type === 'array') {
    const count = node.maxItems ? `${node.minItems} to ${node.maxItems}` : `at least ${node.minItems}`;
    const item = node.items && resolved(node.items).description;
    parts.push(`a list of ${count}${item ? `, each ${item}` : ''}${node.uniqueItems ? ', no repeats' : ''}`);
  } else if (node.type === 'object' && node.propertyNames)
    parts.push(`a map from ${node.propertyNames.description ?? 'a name'} to its settings, at least one`);
  else if (node.type === 'object' && node.minProperties) parts.push('at least one field');
  return sentence(parts.map(clause).join('; '));
}

/** The row of one field, then the rows of what it holds: its fields, its list items', its map entries'. */
function fieldRows(path: string, required: boolean, property: SchemaNode): string[] {
  const field = resolved(property);
  const meaning = sentence(field.title ?? field.description ?? '');
  if (!meaning) throw new Error(`project.schema.json: ${path} has neither a title nor a description`);
  const entry = typeof field.additionalProperties === 'object' ? field.additionalProperties : undefined;
  return [
    `| \`${path}\` | ${required ? 'yes' : 'no'} | ${cell(meaning)} | ${cell(valueOf(field))} |`,
    ...fieldsOf(field, `${path}.`),
    ...fieldsOf(field.items ? resolved(field.items) : {}, `${path}[].`),
    ...(entry ? fieldRows(`${path}.<${path.split('.').pop()?.replace(/s$/, '')}>`, false, entry) : []),
  ];
}

/** One row per field of an object, nested fields after their parent, as a spec writes them. */
function fieldsOf(node: SchemaNode, prefix: string): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, property]) =>
    fieldRows(`${prefix}${key}`, node.required?.includes(key) ?? false, property),
  );
}

export function specFieldTable(): string {
  return ['| Field | Required | Meaning | Value |', '| --- | --- | --- | --- |', ...fieldsOf(schema, '')].join('\n');
}

export function lintRuleTable(): string {
  return [
    '| Rule | Enforces | Fix |',
    '| --- | --- | --- |',
    ...lintRules.map((r) => `| \`${r.id}\` | ${cell(r.description)} | ${cell(r.fix)} |`),
  ].join('\n');
}

export function riskRuleTable(): string {
  return [
    '| Rule | Severity | Reports | Fix |',
    '| --- | --- | --- | --- |',
    ...riskRules.map((r) => `| \`${r.id}\` | ${r.severity} | ${cell(r.description)} | ${cell(r.fix)} |`),
  ].join('\n');
}

/**
 * What the platform team sets up for each project of projects/: its bucket, the Vault path of its keys (where
 * the operator reads them, or the layout of the manual recipe), the Secret and the namespaces it goes into.
 */
export async function storageRequestTable(root: string): Promise<string> {
  const { platform, projects } = await loadWorkspace(root);
  const rows = platform.clusters.flatMap(({ cluster }) =>
    projects
      .filter(({ spec }) => projectOnCluster(spec, cluster))
      .map(({ spec }) => {
        const domains = projectDomains(cluster, spec);
        // Where the operator reads the keys (the cluster file's template); else the manual recipe's layout.
        const vault = externalSecretsOf(cluster)?.vault;
        const vaultPath = vault
          ? vaultNames(vault, spec.id, domains[0].domain).path
          : `secret/${cluster.appId}/${tenantAppProjectName(cluster, spec.id)}/mercury`;
        const namespaces = domains.map((d) => `\`${d.namespace}\``);
        const groups = spec.owners.map((o) => `\`${o.group}\``);
        const { bucket, credentialsSecret } = spec.storage;
        return (
          `| ${cluster.name} | \`${spec.id}\` | \`${bucket}\` | \`${vaultPath}\` | ` +
          `\`${credentialsSecret}\` | ${namespaces.join(', ')} | ${groups.join(', ')} |`
        );
      }),
  );
  return [
    '| Cluster | Project | Bucket | Vault path | Secret | Namespaces | Owner groups |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** One cell of the permission table: the verbs a role has on a resource, in a fixed order, or a dash. */
const verbOrder = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const byVerbOrder = (a: string, b: string) => verbOrder.indexOf(a) - verbOrder.indexOf(b) || a.localeCompare(b);
const verbCell = (verbs: Set<string> | undefined) => (verbs ? [...verbs].sort(byVerbOrder).join(', ') : '—');

/**
 * What each owner role may do in a project namespace, read from the Roles render writes for the example
 * specs (the first namespace holding each role): one row per resource, one column per role.
 */
export async function ownerPermissionTable(root: string): Promise<string> {
  const { rendered } = await loadWorkspace(root);
  const roles = new Map<string, Map<string, Set<string>>>();
  for (const file of [...rendered.values()].flat())
    for (const object of file.objects as Role[]) {
      const role = object.kind === 'Role' ? /^owners-(\w+)$/.exec(object.metadata?.name ?? '')?.[1] : undefined;
      if (!role || roles.has(role)) continue;
      const verbs = new Map<string, Set<string>>();
      for (const rule of object.rules ?? [])
        for (const group of rule.apiGroups ?? [])
          for (const resource of rule.resources ?? []) {
            const key = group ? `${group}/${resource}` : resource;
            verbs.set(key, new Set([...(verbs.get(key) ?? []), ...rule.verbs]));
          }
      roles.set(role, verbs);
    }
  const columns = ['admin', 'edit', 'view'].filter((role) => roles.has(role));
  const resources = [...new Set(columns.flatMap((role) => [...roles.get(role)!.keys()]))].sort();
  return [
    `| Resource | ${columns.map((role) => `\`${role}\``).join(' | ')} |`,
    `| --- | ${columns.map(() => '---').join(' | ')} |`,
    ...resources.map(
      (resource) =>
        `| \`${resource}\` | ${columns.map((role) => verbCell(roles.get(role)!.get(resource))).join(' | ')} |`,
    ),
  ].join('\n');
}

/** Every generated block by the name its BEGIN/END comments carry, and the data it restates. */
export const generatedBlocks: Record<string, { source: string; render: (root: string) => string | Promise<string> }> = {
  'spec-fields': { source: 'libs/project-spec/project.schema.json', render: specFieldTable },
  'lint-rules': { source: 'libs/lint/src/rules/', render: lintRuleTable },
  'risk-rules': { source: 'libs/plan/src/rules/', render: riskRuleTable },
  'cluster-scoped': { source: 'libs/gate/src/chart-exceptions.ts', render: clusterScopedTable },
  'storage-requests': { source: 'projects/ and platform/clusters/', render: storageRequestTable },
  'owner-permissions': { source: 'libs/render/src/owner-roles.ts', render: ownerPermissionTable },
};

const blockPattern = /<!-- BEGIN GENERATED ([\w-]+)[^\n]*-->\n([\s\S]*?)<!-- END GENERATED ([\w-]+) -->/g;

export const beginComment = (name: string) =>
  `<!-- BEGIN GENERATED ${name} from ${generatedBlocks[name].source}: edit that, then run \`${docsCommand}\` -->`;

/**
 * README.md and the guides, docs/*.md, as repository paths. Not docs/incoming/: fragments waiting to be merged
 * into a guide still quote the old README's headings.
 */
export async function docFiles(root: string): Promise<string[]> {
  const entries = await readdir(join(root, 'docs'), { withFileTypes: true }).catch(() => []);
  const guides = entries.filter((e) => e.isFile() && e.name.endsWith('.md')).map((e) => `docs/${e.name}`);
  return ['README.md', ...guides.sort()];
}

export interface DocsResult {
  /** path → its text with every generated block rewritten */
  texts: Map<string, string>;
  /** `file: block ...: fix` for each block that differs from its data, and each misplaced marker */
  problems: string[];
}

/** Each file's generated blocks rendered afresh; what is stale or malformed, each naming its file and fix. */
export async function regenerate(root: string): Promise<DocsResult> {
  const texts = new Map<string, string>();
  const problems: string[] = [];
  const used = new Set<string>();
  for (const file of await docFiles(root)) {
    const text = await readFile(join(root, file), 'utf8');
    let next = '';
    let last = 0;
    for (const match of text.matchAll(blockPattern)) {
      const [whole, name, , end] = match;
      next += text.slice(last, match.index);
      last = match.index + whole.length;
      const block = generatedBlocks[name];
      if (!block || end !== name) {
        problems.push(`${file}: the generated block "${name}" is unknown or ends as "${end}": fix its comments`);
        next += whole;
        continue;
      }
      used.add(name);
      const fresh = `${beginComment(name)}\n${await block.render(root)}\n<!-- END GENERATED ${name} -->`;
      if (fresh !== whole)
        problems.push(`${file}: the block "${name}" differs from ${block.source}: run \`${docsCommand}\``);
      next += fresh;
    }
    next += text.slice(last);
    texts.set(file, next);
  }
  for (const name of Object.keys(generatedBlocks).filter((n) => !used.has(n)))
    problems.push(`no file holds the generated block "${name}": add its BEGIN/END comments where it belongs`);
  return { texts, problems };
}

/** Rewrites every stale block in place; returns the files changed. */
export async function writeDocs(root: string): Promise<string[]> {
  const { texts } = await regenerate(root);
  const changed: string[] = [];
  for (const [file, text] of texts) {
    if ((await readFile(join(root, file), 'utf8')) === text) continue;
    await writeFile(join(root, file), text);
    changed.push(file);
  }
  return changed;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  if (values.check) {
    const { problems } = await regenerate(repoRoot);
    for (const problem of problems) console.error(problem);
    return problems.length ? 1 : 0;
  }
  const changed = await writeDocs(repoRoot);
  console.log(changed.length ? `rewrote ${changed.join(', ')}` : 'every generated block is up to date');
  const { problems } = await regenerate(repoRoot);
  for (const problem of problems) console.error(problem);
  return problems.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
