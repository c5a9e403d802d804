// Every rule is proven by example, Kyverno-policy-library style: fixtures/<area>/<name>/{pass,fail}/<case>/
// is a workspace overlay run through the real gate. A fail case lists in expect.yaml what MUST be reported.
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

const cases = subdirs(fixturesRoot).flatMap((area) =>
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
  it.each(rules.map((r) => r.id))('%s has at least one pass and one fail case', (id) => {
    expect(cases.filter((c) => c.rule === id && c.kind === 'pass').length).toBeGreaterThan(0);
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

  it('expects findings of its own rule, each at a line of a file the user edits', () => {
    expect(expected.length).toBeGreaterThan(0);
    for (const e of expected) {
      expect(e.rule).toBe(rule);
      if (!e.file.startsWith('clusters/')) expect(e.line, `${e.file}: the expected line`).toBeTypeOf('number');
    }
  });

  it('reports every expected finding', async () => {
    const found = await findings(dir);
    for (const e of expected) {
      expect(found).toContainEqual(
        expect.objectContaining({
          rule: e.rule,
          file: e.file,
          line: e.line ?? expect.any(Number),
          message: expect.stringContaining(e.message ?? ''),
        }),
      );
    }
  });
});

describe.each(cases.filter((c) => c.kind === 'pass'))('$rule pass/$title', ({ dir }) => {
  it('is a clean example: no finding of any rule', async () => {
    expect(existsSync(join(dir, 'expect.yaml'))).toBe(false);
    expect(await findings(dir)).toEqual([]);
  });
});
