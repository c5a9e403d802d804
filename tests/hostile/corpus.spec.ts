// The hostile corpus: broken and malicious spec files, each run through the REAL CLI (`render`) as a child
// process in a workspace of its own, next to a valid clusters/ rendered beforehand.
//
// A case is tests/hostile/corpus/<name>/{projects/<file>..., clusters/<path>..., tree.yaml, expect.yaml}:
// its specs, files laid over the rendered clusters/ it starts from, and entries git cannot hold or a
// case folder should not (links, FIFOs, folders, files outside the repository). expect.yaml says either
//   rule: <id> | [<id>, ...]       the first expected finding (any of the ids)
//   file: <path> | [...]           where it is reported (any of the files)
//   line: <n>                      at which line of that file (none for a finding on a whole entry)
//   message: <substring>           optional
//   examples: true                 the workspace also holds the example specs x and y
//   on: [validate, render]         the commands to run, each refusing (default: render)
// or
//   accepted: true                 the gate lets it in (exit 0) ...
//   inert: [displayName, ...]      ... and the hostile text of these fields comes out inert
//
// A few cases are generated here instead (the size limit), so that no huge file is committed.
//
// HOSTILE_ONLY=<part of a case name> runs only the matching cases; HOSTILE_KEEP=1 keeps their workspaces.
import { cp, mkdir, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { loadWorkspace } from '@flyte-gkp/gate';
import type { FileSource } from '@flyte-gkp/project-spec';
import { cliEntry } from '@flyte-gkp/testing';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpusDir = join(repoRoot, 'tests/hostile/corpus');
const cluster = 'gkp-dev';
/** The documented limit of a spec file (libs/project-spec/src/source.ts): 64 KiB, in bytes. */
const sizeLimit = 64 * 1024;
const concurrency = Number(process.env.HOSTILE_CONCURRENCY) || availableParallelism() + 1;
const keep = process.env.HOSTILE_KEEP === '1';
/** HOSTILE_ONLY=<part of a case name>: run only the matching cases. */
const only = process.env.HOSTILE_ONLY;

type TextField = 'displayName' | 'description';
type Command = 'render' | 'validate';
interface Expectation {
  rule?: string | string[];
  file?: string | string[];
  line?: number;
  message?: string;
  accepted?: boolean;
  inert?: TextField[];
  examples?: boolean;
  on?: Command[];
}
/** One entry of tree.yaml: a path relative to the workspace (`../` reaches outside it) and what to make there. */
interface TreeEntrySpec {
  path: string;
  symlink?: string;
  fifo?: boolean;
  dir?: boolean;
  file?: string;
  remove?: boolean;
}
interface Case {
  name: string;
  /** File name under projects/ → content. */
  files: Map<string, Buffer>;
  /** Path under clusters/ → content, laid over the rendered clusters/. */
  clusters: Map<string, Buffer>;
  tree: TreeEntrySpec[];
  expect: Expectation;
}

const commandsOf = (c: Case): Command[] => (c.expect.accepted ? ['render'] : (c.expect.on ?? ['render']));
/** Every path the case makes: its findings may name these (or what is under them) and nothing else. */
const casePaths = (c: Case) => [
  ...[...c.files.keys()].map((f) => `projects/${f}`),
  ...[...c.clusters.keys()].map((f) => `clusters/${f}`),
  ...c.tree.map((e) => e.path),
];

// ------------------------------------------------------------------------------------------ the cases

function corpusCases(): Case[] {
  return readdirSync(corpusDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const dir = join(corpusDir, name);
      const filesIn = (sub: string) =>
        existsSync(join(dir, sub))
          ? new Map(
              readdirSync(join(dir, sub), { recursive: true, withFileTypes: true })
                .filter((e) => e.isFile())
                .map(
                  (e) =>
                    [
                      relative(join(dir, sub), join(e.parentPath, e.name)).split(sep).join('/'),
                      readFileSync(join(e.parentPath, e.name)),
                    ] as const,
                )
                .sort(([a], [b]) => a.localeCompare(b)),
            )
          : new Map<string, Buffer>();
      const tree = existsSync(join(dir, 'tree.yaml'))
        ? (parse(readFileSync(join(dir, 'tree.yaml'), 'utf8')) as TreeEntrySpec[])
        : [];
      return {
        name,
        files: filesIn('projects'),
        clusters: filesIn('clusters'),
        tree,
        expect: parse(readFileSync(join(dir, 'expect.yaml'), 'utf8')) as Expectation,
      };
    });
}

const validSpec = readFileSync(join(repoRoot, 'projects/x.yaml'), 'utf8')
  .replace(/^id: x$/m, 'id: big')
  .replace(/103020-flytepoc-x/g, '103020-flytepoc-big')
  .replace(/mercury-x/g, 'mercury-big');

/** The valid spec padded with a trailing comment to exactly `bytes` bytes, with `char` as filler. */
function padded(bytes: number, char: string): Buffer {
  const head = `${validSpec}# `;
  const room = bytes - Buffer.byteLength(head) - 1;
  const filler = char.repeat(Math.floor(room / Buffer.byteLength(char)));
  const text = `${head}${filler}${' '.repeat(room - Buffer.byteLength(filler))}\n`;
  assert.equal(Buffer.byteLength(text), bytes);
  return Buffer.from(text);
}

function generatedCases(): Case[] {
  const multibyte = padded(sizeLimit + 2, 'é');
  // Fewer characters than the limit, more bytes: the limit is about bytes.
  assert.ok(multibyte.toString('utf8').length < sizeLimit);
  return [
    {
      name: 'generated-over-size-limit',
      files: new Map([['big.yaml', padded(sizeLimit + 1, 'x')]]),
      clusters: new Map(),
      tree: [],
      expect: { rule: 'yaml/syntax', file: 'projects/big.yaml', line: 1, message: 'larger than' },
    },
    {
      name: 'generated-over-size-limit-in-bytes-not-characters',
      files: new Map([['big.yaml', multibyte]]),
      clusters: new Map(),
      tree: [],
      expect: { rule: 'yaml/syntax', file: 'projects/big.yaml', line: 1, message: 'larger than' },
    },
    {
      name: 'generated-at-size-limit',
      files: new Map([['big.yaml', padded(sizeLimit, 'x')]]),
      clusters: new Map(),
      tree: [],
      expect: { accepted: true },
    },
  ];
}

// ------------------------------------------------------------------------------------------ helpers

/**
 * Everything under `dir` (hidden entries too): relative path → file content, or 'dir' / 'link:<target>' / 'special'.
 */
async function snapshot(dir: string): Promise<Map<string, Buffer | string>> {
  const result = new Map<string, Buffer | string>();
  const walk = async (current: string) => {
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(current, entry.name);
      const key = relative(dir, path).split(sep).join('/');
      if (entry.isDirectory()) {
        result.set(key, 'dir');
        await walk(path);
      } else if (entry.isSymbolicLink()) {
        result.set(key, `link:${await readlink(path)}`);
      } else if (entry.isFile()) {
        result.set(key, await readFile(path));
      } else {
        result.set(key, 'special'); // a FIFO: opening it would wait for a writer
      }
    }
  };
  await walk(dir);
  return result;
}

function sameSnapshot(a: Map<string, Buffer | string>, b: Map<string, Buffer | string>): string[] {
  const differences: string[] = [];
  for (const [key, value] of a) {
    const other = b.get(key);
    if (other === undefined) differences.push(`removed ${key}`);
    else if (typeof value === 'string' || typeof other === 'string' ? value !== other : !value.equals(other))
      differences.push(`changed ${key}`);
  }
  for (const key of b.keys()) if (!a.has(key)) differences.push(`added ${key}`);
  return differences;
}

const examples = () =>
  new Map(readdirSync(join(repoRoot, 'projects')).map((f) => [f, readFileSync(join(repoRoot, 'projects', f))]));

/**
 * The case's workspace, `<outer>/repo`: the platform, its specs, the rendered clusters/ (and CODEOWNERS)
 * with its files laid over, then its tree.yaml entries; `outer` holds what a case puts outside the repository.
 */
async function newWorkspace(
  c: Pick<Case, 'files' | 'clusters' | 'tree' | 'expect'>,
  clusters?: string,
): Promise<{ outer: string; root: string }> {
  const outer = await mkdtemp(join(tmpdir(), 'hostile-'));
  const root = join(outer, 'repo');
  await cp(join(repoRoot, 'platform'), join(root, 'platform'), { recursive: true });
  await symlink(join(repoRoot, '.tools'), join(root, '.tools'));
  await mkdir(join(root, 'projects'));
  for (const [name, content] of [...(c.expect.examples ? examples() : []), ...c.files])
    await writeFile(join(root, 'projects', name), content);
  if (clusters) {
    await cp(clusters, join(root, 'clusters'), { recursive: true });
    // The review rule is rendered with clusters/: the seed's comes along.
    await cp(join(dirname(clusters), '.github'), join(root, '.github'), { recursive: true });
  }
  for (const [path, content] of c.clusters) {
    await mkdir(dirname(join(root, 'clusters', path)), { recursive: true });
    await writeFile(join(root, 'clusters', path), content);
  }
  for (const entry of c.tree) {
    const path = join(root, entry.path);
    if (entry.remove) await rm(path, { recursive: true, force: true });
    if (entry.dir) await mkdir(path, { recursive: true });
    await mkdir(dirname(path), { recursive: true });
    if (entry.file !== undefined) await writeFile(path, entry.file);
    if (entry.symlink !== undefined) await symlink(entry.symlink, path);
    if (entry.fifo) execFileSync('mkfifo', [path]);
  }
  return { outer, root };
}

/** The real CLI, as a user runs it; DEBUG is unset so that a crash shows as it would to a user. */
async function cli(root: string, command = 'render') {
  const env = { ...process.env };
  delete env.DEBUG;
  const result = await execa(process.execPath, [cliEntry, command, '--root', root], {
    cwd: repoRoot,
    reject: false,
    extendEnv: false,
    env,
    timeout: 90_000,
  });
  return {
    exitCode: result.exitCode ?? -1,
    output: `${result.stdout}\n${result.stderr}`,
    timedOut: result.timedOut === true,
  };
}

interface Reported {
  file: string;
  line: number | undefined;
  rule: string;
  message: string;
}

/** The findings of the human report: `projects/x.yaml:4:9 <message> [rule]`, one per line. */
function reported(output: string): Reported[] {
  return [...output.matchAll(/^(\S+?)(?::(\d+))?(?::\d+)? (.*) \[([a-z0-9-]+(?:\/[a-z0-9-]+)?)\]$/gm)].map((m) => ({
    file: m[1],
    line: m[2] === undefined ? undefined : Number(m[2]),
    message: m[3],
    rule: m[4],
  }));
}

const stackTrace = (output: string) => /^\s+at .+/m.test(output) || /^(?:[A-Z]\w*)?Error(?: \[\w+\])?: /m.test(output);

async function pool<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

// ------------------------------------------------------------------------------------------ inertness

const placeholders: Record<TextField, string> = {
  displayName: 'Inert Placeholder',
  description: 'An inert placeholder description.',
};

function virtualSource(files: Map<string, string>): FileSource {
  return {
    list: async (dir) =>
      [...files.keys()]
        .filter((f) => dirname(f) === dir)
        .map((f) => f.slice(dir.length + 1))
        .sort(),
    read: async (file) => files.get(file),
  };
}

/** What the same spec renders to with plain placeholders instead of the hostile texts (in-process, not written). */
async function baselineRender(
  specFile: string,
  spec: Record<string, unknown>,
  fields: TextField[],
): Promise<Map<string, string>> {
  const plain = { ...spec };
  for (const f of fields) if (f in plain) plain[f] = placeholders[f];
  const files = new Map<string, string>();
  for (const file of ['platform/clusters/gkp-dev.yaml', 'platform/pins.yaml'])
    files.set(file, readFileSync(join(repoRoot, file), 'utf8'));
  files.set(`projects/${specFile}`, stringify(plain));
  const workspace = await loadWorkspace('/nonexistent-baseline', virtualSource(files));
  expect(workspace.diagnostics, 'the baseline spec is valid').toEqual([]);
  return new Map(
    (workspace.rendered.get(cluster) ?? []).map((f) => [f.path.slice(`clusters/${cluster}/`.length), f.content]),
  );
}

/** Kubernetes, Argo CD and Helm read the rendered files as YAML 1.1. */
function documents(file: string, text: string): unknown[] {
  const docs = parseAllDocuments(text, { version: '1.1' });
  for (const doc of docs)
    expect(
      doc.errors.map((e) => e.message),
      `${file} parses`,
    ).toEqual([]);
  return docs.map((d) => d.toJS());
}

function replaceStrings(value: unknown, replace: (s: string) => string): unknown {
  if (typeof value === 'string') return replace(value);
  if (Array.isArray(value)) return value.map((v) => replaceStrings(v, replace));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [replace(k), replaceStrings(v, replace)]));
  return value;
}

function countStrings(value: unknown, wanted: string): number {
  if (typeof value === 'string') return value === wanted ? 1 : 0;
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + countStrings(v, wanted), 0);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).reduce<number>((n, [k, v]) => n + (k === wanted ? 1 : 0) + countStrings(v, wanted), 0);
  return 0;
}

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

/**
 * The project registration's files as the Job reads them: `projects.json` parsed (its strings are the
 * specs' texts), and the content digest in the objects' names set aside (it differs with any text, by design).
 */
function asRegistered(docs: unknown[]): unknown[] {
  return replaceStrings(
    docs.map((doc) => {
      const data = (doc as { kind?: string; data?: Record<string, string> }).data;
      if ((doc as { kind?: string }).kind !== 'ConfigMap' || typeof data?.['projects.json'] !== 'string') return doc;
      return { ...(doc as object), data: { ...data, 'projects.json': JSON.parse(data['projects.json']) as unknown } };
    }),
    (s) => s.replace(/^flyte-project-registration-[0-9a-f]{10}$/, 'flyte-project-registration-<digest>'),
  ) as unknown[];
}

// ------------------------------------------------------------------------------------------ running

interface Outcome {
  exitCode: number;
  output: string;
  timedOut: boolean;
  /** Differences in the whole case tree (the repository and beside it, links by target) the command made. */
  checkoutChanged: string[];
  /** What clusters/ holds afterwards (for accepted cases). */
  rendered: Map<string, Buffer | string>;
  ms: number;
}

const cases = [...corpusCases(), ...generatedCases()].filter((c) => !only || c.name.includes(only));
const outcomes = new Map<string, Outcome>();
const workspaces: string[] = [];
let seedClusters = '';
let seed: Map<string, Buffer | string>;

beforeAll(async () => {
  // The valid examples, rendered once by the CLI: every case starts from this clusters/.
  const { outer: seedOuter, root: seedRoot } = await newWorkspace({
    files: examples(),
    clusters: new Map(),
    tree: [],
    expect: {},
  });
  workspaces.push(seedOuter);
  const seeded = await cli(seedRoot);
  if (seeded.exitCode !== 0)
    throw new Error(
      `rendering the valid examples failed (exit ${seeded.exitCode}); no case can run:\n${seeded.output}`,
    );
  seedClusters = join(seedRoot, 'clusters');
  seed = await snapshot(seedClusters);
  expect([...seed.keys()]).toContain(`${cluster}/projects/x/application.yaml`);

  await pool(cases, concurrency, async (c) => {
    const { outer, root } = await newWorkspace(c, seedClusters);
    for (const command of commandsOf(c)) {
      const before = await snapshot(outer);
      const started = Date.now();
      const run = await cli(root, command);
      const checkoutChanged = sameSnapshot(before, await snapshot(outer));
      outcomes.set(`${c.name} ${command}`, {
        ...run,
        checkoutChanged,
        rendered: await snapshot(join(root, 'clusters')),
        ms: Date.now() - started,
      });
    }
    if (keep || c.expect.accepted) workspaces.push(outer);
    else await rm(outer, { recursive: true, force: true });
  });
}, 600_000);

afterAll(async () => {
  if (!keep) await Promise.all(workspaces.map((w) => rm(w, { recursive: true, force: true })));
  const all = cases.flatMap((c) => commandsOf(c).map((command) => ({ c, o: outcomes.get(`${c.name} ${command}`) })));
  const ran = all.filter((x) => x.o);
  const rejectedCases = ran.filter((x) => !x.c.expect.accepted);
  const rightRule = rejectedCases.filter((x) => x.o!.exitCode === 1 && matchOf(x.c, x.o!) !== undefined);
  const crashes = ran.filter((x) => x.o!.timedOut || ![0, 1].includes(x.o!.exitCode) || stackTrace(x.o!.output));
  const letIn = rejectedCases.filter((x) => x.o!.exitCode === 0);
  const partial = rejectedCases.filter((x) => x.o!.exitCode !== 0 && x.o!.checkoutChanged.length > 0);
  const accepted = ran.filter((x) => x.c.expect.accepted && x.o!.exitCode === 0);
  const slowest = Math.max(0, ...ran.map((x) => x.o!.ms));
  console.log(
    [
      `hostile corpus: ${cases.length} cases, ${ran.length} runs of \`render\` or \`validate\` ` +
        `(${rejectedCases.length} to reject, ${ran.length - rejectedCases.length} to accept)`,
      `  rejected with the expected rule at the expected place: ${rightRule.length}/${rejectedCases.length}`,
      `  wrongly let in (exit 0): ${letIn.length}${letIn.length ? ` (${letIn.map((x) => x.c.name).join(', ')})` : ''}`,
      `  accepted as expected: ${accepted.length}/${ran.length - rejectedCases.length}`,
      '  crashes (exit not 0/1, timeout or stack trace): ' +
        `${crashes.length}${crashes.length ? ` (${crashes.map((x) => x.c.name).join(', ')})` : ''}`,
      `  checkouts changed by a rejected run (partial writes, deletions, recoveries): ${partial.length}`,
      `  slowest case: ${slowest} ms`,
    ].join('\n'),
  );
});

/** The reported finding that meets the expectation, if any. */
function matchOf(c: Case, o: Outcome): Reported | undefined {
  const rules = [c.expect.rule ?? []].flat();
  const files = [c.expect.file ?? []].flat();
  return reported(o.output).find(
    (r) =>
      rules.includes(r.rule) &&
      files.includes(r.file) &&
      r.line === c.expect.line &&
      (!c.expect.message || r.message.includes(c.expect.message)),
  );
}

function outcome(c: Case, command: Command = 'render'): Outcome {
  const o = outcomes.get(`${c.name} ${command}`);
  if (!o) throw new Error(`${c.name} did not run ${command}`);
  return o;
}

function assertRejected(c: Case, command: Command) {
  const o = outcome(c, command);
  const context = `${c.name} (${command}):\n${o.output}`;
  expect(o.timedOut, context).toBe(false);
  expect(stackTrace(o.output), `no stack trace in ${context}`).toBe(false);
  expect(o.exitCode, context).toBe(1);
  const where = [c.expect.file]
    .flat()
    .map((f) => (c.expect.line === undefined ? f : `${f}:${c.expect.line}`))
    .join(' or ');
  expect(
    matchOf(c, o),
    `${where} [${[c.expect.rule].flat().join('|')}]` +
      `${c.expect.message ? ` mentioning "${c.expect.message}"` : ''} in ${context}`,
  ).toBeDefined();
  // A bad spec is reported against itself or what it renders, never against a file it has nothing to do
  // with (a platform file, another project, or a line forged by text from the spec).
  const caseFiles = [...c.files.keys()].map((f) => `projects/${f}`);
  const caseIds = [...c.files.keys()].map((f) => f.replace(/\.[^.]*$/, ''));
  const paths = casePaths(c);
  const ours = (file: string) =>
    caseFiles.includes(file) ||
    caseIds.some((id) => file.startsWith(`clusters/${cluster}/projects/${id}/`)) ||
    paths.some((p) => p === file || p.startsWith(`${file}/`) || file.startsWith(`${p}/`));
  const findings = reported(o.output);
  expect(
    findings.filter((r) => !ours(r.file)),
    `findings outside the case's files in ${context}`,
  ).toEqual([]);
  // Every finding is one line of the report: as many as the summary counts.
  const counted = /(?:render|validate): (?:\d+ files checked, )?(\d+) problem\(s\)/.exec(o.output);
  expect(counted && Number(counted[1]), `the summary counts the findings listed in ${context}`).toBe(findings.length);
  expect(o.checkoutChanged, `the whole case tree left byte for byte as it was, links included: ${context}`).toEqual([]);
}

async function assertAccepted(c: Case) {
  const o = outcome(c);
  const context = `${c.name}:\n${o.output}`;
  expect(stackTrace(o.output), context).toBe(false);
  expect(o.exitCode, context).toBe(0);
  const specFile = [...c.files.keys()][0];
  const spec = parse(c.files.get(specFile)!.toString('utf8')) as Record<string, unknown>;
  const id = String(spec.id);
  const prefix = `${cluster}/`;
  const rendered = new Map(
    [...o.rendered]
      .filter(([k, v]) => k.startsWith(prefix) && typeof v !== 'string')
      .map(([k, v]) => [k.slice(prefix.length), (v as Buffer).toString('utf8')]),
  );
  expect(
    [...o.rendered.keys()].filter((k) => k.startsWith('.')),
    'no staging or previous folder is left',
  ).toEqual([]);
  expect(rendered.has(`projects/${id}/application.yaml`), `the project ${id} is rendered`).toBe(true);

  // The project's id comes back as the same string from every label that carries it (YAML 1.1: `y`, `no`...).
  for (const [path, text] of rendered) {
    if (!path.startsWith(`projects/${id}/`) || !path.endsWith('.yaml')) continue;
    for (const doc of documents(path, text) as { metadata?: { labels?: Record<string, unknown> } }[]) {
      expect(doc.metadata?.labels?.['flytepoc.gkp.io/project'], `${path}: project label`).toBe(id);
    }
  }

  const fields = c.expect.inert ?? [];
  if (fields.length === 0) return;
  const hostile = new Map(fields.filter((f) => typeof spec[f] === 'string').map((f) => [f, spec[f] as string]));
  expect(hostile.size, 'the case carries hostile text').toBeGreaterThan(0);
  const baseline = await baselineRender(specFile, spec, fields);
  expect([...rendered.keys()].sort(), 'the same files as without the hostile text').toEqual(
    [...baseline.keys()].sort(),
  );
  const restore = (s: string) => {
    for (const [f, text] of hostile) if (s === text) return placeholders[f];
    return s;
  };
  for (const [path, text] of rendered) {
    const plain = baseline.get(path)!;
    if (path.endsWith('.yaml')) {
      const got = asRegistered(documents(path, text));
      const want = asRegistered(documents(path, plain));
      // No document, key or value is added, removed or changed by the hostile text...
      expect(got.length, `${path}: number of YAML documents`).toBe(want.length);
      expect(
        replaceStrings(got, restore),
        `${path}: parsed back, equal to the render without the hostile text`,
      ).toEqual(want);
      // ...and wherever the placeholder stands, the hostile text stands, unchanged, as one string.
      for (const [f, value] of hostile)
        expect(countStrings(got, value), `${path}: occurrences of ${f}`).toBe(countStrings(want, placeholders[f]));
    } else {
      // Client files (INI, pip constraints): line by line, the hostile text at most where the placeholder
      // was, inside that one line: a line break in it would add INI lines (a section, a key).
      const got = text.split('\n');
      const want = plain.split('\n');
      expect(got.length, `${path}: number of lines`).toBe(want.length);
      want.forEach((line, i) => {
        let expected = line;
        for (const [f, value] of hostile) expected = expected.split(placeholders[f]).join(value);
        expect(got[i], `${path}:${i + 1}`).toBe(expected);
      });
    }
    // Helm reads the values file through `tpl` in places: only the renderer's own `{{` may be there.
    if (path === 'platform/flyte-values.yaml')
      expect(occurrences(text, '{{'), `${path}: {{ count`).toBe(occurrences(plain, '{{'));
  }
}

describe('hostile corpus through `render`', () => {
  it('has at least 60 cases, each with a complete expectation', () => {
    if (!only) expect(cases.length).toBeGreaterThanOrEqual(60);
    for (const c of cases) {
      expect(casePaths(c).length, `${c.name}: files or entries`).toBeGreaterThan(0);
      if (c.expect.accepted) continue;
      expect(c.expect.rule, `${c.name}: rule`).toBeDefined();
      expect(
        c.expect.line === undefined || (Number.isInteger(c.expect.line) && c.expect.line >= 1),
        `${c.name}: line`,
      ).toBe(true);
      for (const f of [c.expect.file].flat())
        expect(
          f && casePaths(c).some((p) => p === f || p.startsWith(`${f}/`)),
          `${c.name}: ${f} is one of its paths`,
        ).toBe(true);
    }
  });

  for (const c of cases) {
    if (c.expect.accepted) {
      it(`${c.name}: accepted${c.expect.inert?.length ? `, ${c.expect.inert.join(' and ')} inert` : ''}`, () =>
        assertAccepted(c));
      continue;
    }
    for (const command of commandsOf(c)) {
      const at = `${[c.expect.file].flat().join('|')}${c.expect.line === undefined ? '' : `:${c.expect.line}`}`;
      it(`${c.name}${command === 'render' ? '' : ` (${command})`}: ${[c.expect.rule].flat().join('|')} at ${at}`, () =>
        assertRejected(c, command));
    }
  }
});
