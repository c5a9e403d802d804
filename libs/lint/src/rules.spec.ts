import { describe, expect, it } from 'vitest';
import { rules } from './rules/index.js';

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
