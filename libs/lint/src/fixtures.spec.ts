// Every rule is proven by example, Kyverno-policy-library style: fixtures/<area>/<name>/{pass,fail}/<case>/
// is a workspace overlay run through the real gate. A fail case lists in expect.yaml exactly what is reported.
// fixtures/clean/ is the one clean example every rule passes; a rule's own pass cases show the edges.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runGate } from '@flyte-gkp/gate';
import { rules } from './rules/index.js';
import { fixturesRoot, overlayWorkspace } from './testing.js';

interface Expected {
  rule: string;
  file: string;
  /** Required for files a user edits; rendered files (clusters/) are laid out by the renderer, not by the fixture. */
  line?: number;
  message?: string;
}

const subdirs = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()
    : [];

const cleanExample = join(fixturesRoot, 'clean');

const cases = subdirs(fixturesRoot)
  .filter((area) => area !== 'clean')
  .flatMap((area) =>
    subdirs(join(fixturesRoot, area)).flatMap((name) =>
      subdirs(join(fixturesRoot, area, name)).flatMap((kind) =>
        subdirs(join(fixturesRoot, area, name, kind)).map((title) => ({
          rule: `${area}/${name}`,
          kind,
          title,
          dir: join(fixturesRoot, area, name, kind, title),
        })),
      ),
    ),
  );

const workspaces: string[] = [];
afterAll(() => workspaces.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function findings(dir: string) {
  const root = overlayWorkspace(dir);
  workspaces.push(root);
  return (await runGate(root, { kubeconform: false, drift: false })).diagnostics;
}

describe('fixture layout', () => {
  it.each(rules.map((r) => r.id))('%s has at least one fail case', (id) => {
    expect(cases.filter((c) => c.rule === id && c.kind === 'fail').length).toBeGreaterThan(0);
  });

  it('names only registered rules, and only pass and fail cases', () => {
    const ids = new Set(rules.map((r) => r.id));
    expect(cases.filter((c) => !ids.has(c.rule)).map((c) => c.dir)).toEqual([]);
    expect(cases.filter((c) => c.kind !== 'pass' && c.kind !== 'fail').map((c) => c.dir)).toEqual([]);
  });
});

describe.each(cases.filter((c) => c.kind === 'fail'))('$rule fail/$title', ({ rule, dir }) => {
  const expected = (
    existsSync(join(dir, 'expect.yaml')) ? parse(readFileSync(join(dir, 'expect.yaml'), 'utf8')) : []
  ) as Expected[];

  it('expects a finding of its own rule, and each finding at a line of a file the user edits', () => {
    expect(expected.map((e) => e.rule)).toContain(rule);
    for (const e of expected) {
      if (!e.file.startsWith('clusters/')) expect(e.line, `${e.file}: the expected line`).toBeTypeOf('number');
    }
  });

  it('reports exactly the expected findings, nothing more', async () => {
    const unexpected = [...(await findings(dir))];
    const missing = expected.filter((e) => {
      const at = unexpected.findIndex(
        (d) =>
          d.rule === e.rule &&
          d.file === e.file &&
          (e.line === undefined || d.line === e.line) &&
          d.message.includes(e.message ?? ''),
      );
      if (at >= 0) unexpected.splice(at, 1);
      return at < 0;
    });
    const shown = (d: Expected) => `${d.file}:${d.line ?? '-'} [${d.rule}] ${d.message ?? ''}`;
    expect({ missing: missing.map(shown), unexpected: unexpected.map(shown) }).toEqual({ missing: [], unexpected: [] });
  });
});

describe.each([{ rule: 'every rule', title: 'clean', dir: cleanExample }, ...cases.filter((c) => c.kind === 'pass')])(
  '$rule pass/$title',
  ({ dir }) => {
    it('is a clean example: no finding of any rule', async () => {
      expect(existsSync(join(dir, 'expect.yaml'))).toBe(false);
      expect(await findings(dir)).toEqual([]);
    });
  },
);
