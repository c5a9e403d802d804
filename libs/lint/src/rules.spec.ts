import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rules } from './rules/index.js';
import { repoRoot } from './testing.js';

/** `| \`id\` | description | fix |` rows of the README's rule table. */
const readmeRows = readFileSync(join(repoRoot, 'libs/lint/README.md'), 'utf8')
  .split('\n')
  .map((line) => /^\|\s*`([^`]+)`\s*\|([^|]*)\|([^|]*)\|\s*$/.exec(line))
  .filter((m) => m !== null)
  .map(([, id, description, fix]) => ({ id, description: description.trim(), fix: fix.trim() }));

describe('the rule registry', () => {
  it('has unique ids of the form <area>/<name>', () => {
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+\/[a-z0-9-]+$/);
  });

  it('gives every rule a one-line description and fix', () => {
    for (const rule of rules) {
      expect(rule.description, rule.id).toMatch(/^[^\n]+$/);
      expect(rule.fix, rule.id).toMatch(/^[^\n]+$/);
    }
  });
});

describe('libs/lint/README.md', () => {
  it('lists exactly the registered rules, once each', () => {
    expect(readmeRows.map((r) => r.id).sort()).toEqual(rules.map((r) => r.id).sort());
  });

  it("states each rule's own description and fix", () => {
    for (const rule of rules) {
      expect(
        readmeRows.find((r) => r.id === rule.id),
        rule.id,
      ).toEqual({ id: rule.id, description: rule.description, fix: rule.fix });
    }
  });
});
