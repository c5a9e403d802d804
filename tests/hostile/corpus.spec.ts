// The hostile corpus: broken and malicious spec files, each run through the REAL CLI (`render`) as a child
// process in a workspace of its own, next to a valid clusters/ rendered beforehand.
//
// A case is tests/hostile/corpus/<name>/{projects/<file>..., expect.yaml}. expect.yaml says either
//   rule: <id> | [<id>, ...]       the first expected finding (any of the ids)
//   file: projects/<file> | [...]  where it is reported (any of the files)
//   line: <n>                      at which line of that file
//   message: <substring>           optional
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
import { readdirSync, readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { loadWorkspace } from '@flyte-gkp/gate';
import type { FileSource } from '@flyte-gkp/spec';
import { cliEntry, createPlatformFolder } from '@flyte-gkp/testing';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpusDir = join(repoRoot, 'tests/hostile/corpus');
const cluster = 'gkp-dev';
/** The documented limit of a spec file (libs/spec/src/source.ts): 64 KiB, in bytes. */
const sizeLimit = 64 * 1024;
const concurrency = Number(process.env.HOSTILE_CONCURRENCY) || availableParallelism() + 1;
const keep = process.env.HOSTILE_KEEP === '1';
/** HOSTILE_ONLY=<part of a case name>: run only the matching cases. */
const only = process.env.HOSTILE_ONLY;

type TextField = 'displayName' | 'description';
interface Expectation {
  rule?: string | string[];
  file?: string | string[];
  line?: number;
  message?: string;
  accepted?: boolean;
  inert?: TextField[];
}
interface Case {
  name: string;
  /** File name under projects/ → content. */
  files: Map<string, Buffer>;
  expect: Expectation;
}

// ------------------------------------------------------------------------------------------ the cases

function corpusCases(): Case[] {
  return readdirSync(corpusDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const dir = join(corpusDir, name);
      const files = new Map(readdirSync(join(dir, 'projects')).map((f) => [f, readFileSync(join(dir, 'projects', f))]));
      return { name, files, expect: parse(readFileSync(join(dir, 'expect.yaml'), 'utf8')) as Expectation };
    });
}

const validSpec = readFileSync(join(repoRoot, 'projects/x.yaml'), 'utf8').replace(/^id: x$/m, 'id: big').replace(/103020-flytepoc-x/g, '103020-flytepoc-big').replace(/mercury-x/g, 'mercury-big');

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
    { name: 'generated-over-size-limit', files: new Map([['big.yaml', padded(sizeLimit + 1, 'x')]]), expect: { rule: 'yaml/syntax', file: 'projects/big.yaml', line: 1, message: 'larger than' } },
    { name: 'generated-over-size-limit-in-bytes-not-characters', files: new Map([['big.yaml', multibyte]]), expect: { rule: 'yaml/syntax', file: 'projects/big.yaml', line: 1, message: 'larger than' } },
    { name: 'generated-at-size-limit', files: new Map([['big.yaml', padded(sizeLimit, 'x')]]), expect: { accepted: true } },
  ];
}

// ------------------------------------------------------------------------------------------ helpers

/** Everything under `dir` (hidden entries too): relative path → file content, or 'dir' / 'link:<target>'. */
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
      } else {
        result.set(key, await readFile(path));
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
    else if (typeof value === 'string' || typeof other === 'string' ? value !== other : !value.equals(other)) differences.push(`changed ${key}`);
  }
  for (const key of b.keys()) if (!a.has(key)) differences.push(`added ${key}`);
  return differences;
}

async function newWorkspace(files: Map<string, Buffer>, clusters?: string): Promise<string> {
  const root = await createPlatformFolder('hostile-');
  await mkdir(join(root, 'projects'));
  for (const [name, content] of files) await writeFile(join(root, 'projects', name), content);
  if (clusters) await cp(clusters, join(root, 'clusters'), { recursive: true });
  return root;
}

/** The real CLI, as a user runs it; DEBUG is unset so that a crash shows as it would to a user. */
async function cli(root: string, command = 'render') {
  const env = { ...process.env };
  delete env.DEBUG;
  const result = await execa(process.execPath, [cliEntry, command, '--root', root], { cwd: repoRoot, reject: false, extendEnv: false, env, timeout: 90_000 });
  return { exitCode: result.exitCode ?? -1, output: `${result.stdout}\n${result.stderr}`, timedOut: result.timedOut === true };
}

interface Reported {
  file: string;
  line: number;
  rule: string;
  message: string;
}

/** The findings of the human report: `projects/x.yaml:4:9 <message> [rule]`, one per line. */
function reported(output: string): Reported[] {
  return [...output.matchAll(/^(\S+?):(\d+)(?::\d+)? (.*) \[([a-z0-9-]+(?:\/[a-z0-9-]+)?)\]$/gm)].map((m) => ({ file: m[1], line: Number(m[2]), message: m[3], rule: m[4] }));
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

const placeholders: Record<TextField, string> = { displayName: 'Inert Placeholder', description: 'An inert placeholder description.' };

function virtualSource(files: Map<string, string>): FileSource {
  return {
    list: async (dir) => [...files.keys()].filter((f) => dirname(f) === dir).map((f) => f.slice(dir.length + 1)).sort(),
    read: async (file) => files.get(file),
  };
}

/** What the same spec renders to with plain placeholders instead of the hostile texts (in-process, not written). */
async function baselineRender(specFile: string, spec: Record<string, unknown>, fields: TextField[]): Promise<Map<string, string>> {
  const plain = { ...spec };
  for (const f of fields) if (f in plain) plain[f] = placeholders[f];
  const files = new Map<string, string>();
  for (const file of ['platform/clusters/gkp-dev.yaml', 'platform/pins.yaml']) files.set(file, readFileSync(join(repoRoot, file), 'utf8'));
  files.set(`projects/${specFile}`, stringify(plain));
  const workspace = await loadWorkspace('/nonexistent-baseline', virtualSource(files));
  expect(workspace.diagnostics, 'the baseline spec is valid').toEqual([]);
  return new Map((workspace.rendered.get(cluster) ?? []).map((f) => [f.path.slice(`clusters/${cluster}/`.length), f.content]));
}

/** Kubernetes, Argo CD and Helm read the rendered files as YAML 1.1. */
function documents(file: string, text: string): unknown[] {
  const docs = parseAllDocuments(text, { version: '1.1' });
  for (const doc of docs) expect(doc.errors.map((e) => e.message), `${file} parses`).toEqual([]);
  return docs.map((d) => d.toJS());
}

function replaceStrings(value: unknown, replace: (s: string) => string): unknown {
  if (typeof value === 'string') return replace(value);
  if (Array.isArray(value)) return value.map((v) => replaceStrings(v, replace));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [replace(k), replaceStrings(v, replace)]));
  return value;
}

function countStrings(value: unknown, wanted: string): number {
  if (typeof value === 'string') return value === wanted ? 1 : 0;
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + countStrings(v, wanted), 0);
  if (value !== null && typeof value === 'object') return Object.entries(value).reduce<number>((n, [k, v]) => n + (k === wanted ? 1 : 0) + countStrings(v, wanted), 0);
  return 0;
}

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

// ------------------------------------------------------------------------------------------ running

interface Outcome {
  exitCode: number;
  output: string;
  timedOut: boolean;
  /** clusters/ differences against the valid render it started from. */
  clustersChanged: string[];
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
  const examples = new Map(readdirSync(join(repoRoot, 'projects')).map((f) => [f, readFileSync(join(repoRoot, 'projects', f))]));
  const seedRoot = await newWorkspace(examples);
  workspaces.push(seedRoot);
  const seeded = await cli(seedRoot);
  if (seeded.exitCode !== 0) throw new Error(`rendering the valid examples failed (exit ${seeded.exitCode}); no case can run:\n${seeded.output}`);
  seedClusters = join(seedRoot, 'clusters');
  seed = await snapshot(seedClusters);
  expect([...seed.keys()]).toContain(`${cluster}/projects/x/application.yaml`);

  await pool(cases, concurrency, async (c) => {
    const root = await newWorkspace(c.files, seedClusters);
    const started = Date.now();
    const run = await cli(root);
    const after = await snapshot(join(root, 'clusters'));
    outcomes.set(c.name, { ...run, clustersChanged: sameSnapshot(seed, after), rendered: after, ms: Date.now() - started });
    if (keep) workspaces.push(root);
    else if (!c.expect.accepted) await rm(root, { recursive: true, force: true });
    else workspaces.push(root);
  });
}, 600_000);

afterAll(async () => {
  if (!keep) await Promise.all(workspaces.map((w) => rm(w, { recursive: true, force: true })));
  const all = cases.map((c) => ({ c, o: outcomes.get(c.name) }));
  const ran = all.filter((x) => x.o);
  const rejectedCases = ran.filter((x) => !x.c.expect.accepted);
  const rightRule = rejectedCases.filter((x) => x.o!.exitCode === 1 && matchOf(x.c, x.o!) !== undefined);
  const crashes = ran.filter((x) => x.o!.timedOut || ![0, 1].includes(x.o!.exitCode) || stackTrace(x.o!.output));
  const letIn = rejectedCases.filter((x) => x.o!.exitCode === 0);
  const partial = rejectedCases.filter((x) => x.o!.exitCode !== 0 && x.o!.clustersChanged.length > 0);
  const accepted = ran.filter((x) => x.c.expect.accepted && x.o!.exitCode === 0);
  const slowest = Math.max(0, ...ran.map((x) => x.o!.ms));
  console.log(
    [
      `hostile corpus: ${cases.length} cases run through \`render\` (${rejectedCases.length} to reject, ${cases.length - rejectedCases.length} to accept)`,
      `  rejected with the expected rule at the expected line: ${rightRule.length}/${rejectedCases.length}`,
      `  wrongly let in (exit 0): ${letIn.length}${letIn.length ? ` (${letIn.map((x) => x.c.name).join(', ')})` : ''}`,
      `  accepted as expected: ${accepted.length}/${cases.length - rejectedCases.length}`,
      `  crashes (exit not 0/1, timeout or stack trace): ${crashes.length}${crashes.length ? ` (${crashes.map((x) => x.c.name).join(', ')})` : ''}`,
      `  partial writes (clusters/ changed by a rejected render): ${partial.length}`,
      `  slowest case: ${slowest} ms`,
    ].join('\n'),
  );
});

/** The reported finding that meets the expectation, if any. */
function matchOf(c: Case, o: Outcome): Reported | undefined {
  const rules = [c.expect.rule ?? []].flat();
  const files = [c.expect.file ?? []].flat();
  return reported(o.output).find((r) => rules.includes(r.rule) && files.includes(r.file) && r.line === c.expect.line && (!c.expect.message || r.message.includes(c.expect.message)));
}

function outcome(c: Case): Outcome {
  const o = outcomes.get(c.name);
  if (!o) throw new Error(`${c.name} did not run`);
  return o;
}

function assertRejected(c: Case) {
  const o = outcome(c);
  const context = `${c.name}:\n${o.output}`;
  expect(o.timedOut, context).toBe(false);
  expect(stackTrace(o.output), `no stack trace in ${context}`).toBe(false);
  expect(o.exitCode, context).toBe(1);
  const where = [c.expect.file].flat().map((f) => `${f}:${c.expect.line}`).join(' or ');
  expect(matchOf(c, o), `${where} [${[c.expect.rule].flat().join('|')}]${c.expect.message ? ` mentioning "${c.expect.message}"` : ''} in ${context}`).toBeDefined();
  // A bad spec is reported against itself or what it renders, never against a file it has nothing to do
  // with (a platform file, another project, or a line forged by text from the spec).
  const caseFiles = [...c.files.keys()].map((f) => `projects/${f}`);
  const caseIds = [...c.files.keys()].map((f) => f.replace(/\.[^.]*$/, ''));
  const ours = (file: string) => caseFiles.includes(file) || caseIds.some((id) => file.startsWith(`clusters/${cluster}/projects/${id}/`));
  const findings = reported(o.output);
  expect(findings.filter((r) => !ours(r.file)), `findings outside the case's files in ${context}`).toEqual([]);
  // Every finding is one line of the report: as many as the summary counts.
  const counted = /render: (\d+) problem\(s\)/.exec(o.output);
  expect(counted && Number(counted[1]), `the summary counts the findings listed in ${context}`).toBe(findings.length);
  expect(o.clustersChanged, `clusters/ left byte for byte as it was: ${context}`).toEqual([]);
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
  const rendered = new Map([...o.rendered].filter(([k, v]) => k.startsWith(prefix) && typeof v !== 'string').map(([k, v]) => [k.slice(prefix.length), (v as Buffer).toString('utf8')]));
  expect([...o.rendered.keys()].filter((k) => k.startsWith('.')), 'no staging or previous folder is left').toEqual([]);
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
  expect([...rendered.keys()].sort(), 'the same files as without the hostile text').toEqual([...baseline.keys()].sort());
  const restore = (s: string) => {
    for (const [f, text] of hostile) if (s === text) return placeholders[f];
    return s;
  };
  for (const [path, text] of rendered) {
    const plain = baseline.get(path)!;
    if (path.endsWith('.yaml')) {
      const got = documents(path, text);
      const want = documents(path, plain);
      // No document, key or value is added, removed or changed by the hostile text...
      expect(got.length, `${path}: number of YAML documents`).toBe(want.length);
      expect(replaceStrings(got, restore), `${path}: parsed back, equal to the render without the hostile text`).toEqual(want);
      // ...and wherever the placeholder stands, the hostile text stands, unchanged, as one string.
      for (const [f, value] of hostile) expect(countStrings(got, value), `${path}: occurrences of ${f}`).toBe(countStrings(want, placeholders[f]));
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
    if (path === 'platform/flyte-values.yaml') expect(occurrences(text, '{{'), `${path}: {{ count`).toBe(occurrences(plain, '{{'));
  }
}

describe('hostile corpus through `render`', () => {
  it('has at least 60 cases, each with a complete expectation', () => {
    if (!only) expect(cases.length).toBeGreaterThanOrEqual(60);
    for (const c of cases) {
      expect(c.files.size, `${c.name}: spec files`).toBeGreaterThan(0);
      if (c.expect.accepted) continue;
      expect(c.expect.rule, `${c.name}: rule`).toBeDefined();
      expect(typeof c.expect.line === 'number' && c.expect.line >= 1, `${c.name}: line`).toBe(true);
      for (const f of [c.expect.file].flat()) expect(f && c.files.has(f.slice('projects/'.length)), `${c.name}: ${f} is one of its files`).toBe(true);
    }
  });

  for (const c of cases) {
    const title = `${c.name}: ${c.expect.accepted ? `accepted${c.expect.inert?.length ? `, ${c.expect.inert.join(' and ')} inert` : ''}` : `${[c.expect.rule].flat().join('|')} at ${[c.expect.file].flat().join('|')}:${c.expect.line}`}`;
    const body = c.expect.accepted ? () => assertAccepted(c) : () => assertRejected(c);
    it(title, body);
  }
});
