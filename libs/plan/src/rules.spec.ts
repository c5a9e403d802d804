// Every risk rule is proven by example: fixtures/<area>/<name>/{pass,fail}/<case>.yaml holds the objects
// of the base and of the head; a fail case lists in `expect` the risks its rule MUST report.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { diffObjects, planObjects, riskRules, runRisks } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixturesRoot = resolve(here, '../fixtures');

interface Case {
  base: unknown[];
  head: unknown[];
  expect?: { kind: string; name: string; message: string; fix?: string }[];
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
      readdirSync(join(fixturesRoot, area, name, kind)).map((file) => ({
        rule: `${area}/${name}`,
        kind,
        title: file,
        path: join(fixturesRoot, area, name, kind, file),
      })),
    ),
  ),
);

/** The fixture's objects on cluster gkp-dev, owned by the project their label names, rendered from its spec. */
function objects(documents: unknown[]) {
  return documents.flatMap((doc) => {
    const project =
      (doc as { metadata?: { labels?: Record<string, string> } }).metadata?.labels?.['flytepoc.gkp.io/project'] ?? null;
    return planObjects(
      { cluster: 'gkp-dev', file: 'fixture', project, sources: project ? [`projects/${project}.yaml`] : [] },
      [doc],
    );
  });
}

function risksOf(path: string) {
  const fixture = parse(readFileSync(path, 'utf8')) as Case;
  const [base, head] = [objects(fixture.base), objects(fixture.head)];
  return { fixture, risks: runRisks(riskRules, { changes: diffObjects(base, head), base, head }) };
}

describe('risk rules', () => {
  it.each(riskRules.map((r) => r.id))('%s has at least one pass and one fail case', (id) => {
    expect(cases.filter((c) => c.rule === id && c.kind === 'pass').length).toBeGreaterThan(0);
    expect(cases.filter((c) => c.rule === id && c.kind === 'fail').length).toBeGreaterThan(0);
  });

  it('fixtures name only registered rules, and only pass and fail cases', () => {
    const ids = new Set(riskRules.map((r) => r.id));
    expect(cases.filter((c) => !ids.has(c.rule) || !['pass', 'fail'].includes(c.kind)).map((c) => c.path)).toEqual([]);
  });
});

describe.each(cases.filter((c) => c.kind === 'fail'))('$rule fail/$title', ({ rule, path }) => {
  it('reports every expected risk of its rule', () => {
    const { fixture, risks } = risksOf(path);
    expect(fixture.expect?.length).toBeGreaterThan(0);
    for (const e of fixture.expect ?? []) {
      expect(risks).toContainEqual(
        expect.objectContaining({
          rule,
          kind: e.kind,
          name: e.name,
          message: expect.stringContaining(e.message),
          fix: expect.stringContaining(e.fix ?? ''),
        }),
      );
    }
  });
});

describe.each(cases.filter((c) => c.kind === 'pass'))('$rule pass/$title', ({ rule, path }) => {
  it('is a clean example of its rule: no risk of it', () => {
    const { fixture, risks } = risksOf(path);
    expect(fixture.expect).toBeUndefined();
    expect(risks.filter((r) => r.rule === rule)).toEqual([]);
  });
});
