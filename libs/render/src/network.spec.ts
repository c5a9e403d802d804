import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { systemFlows } from './network.js';

const guide = readFileSync(fileURLToPath(new URL('../../../docs/operator-guide.md', import.meta.url)), 'utf8');

/** The rows of the operator guide's table of flows into Flyte's namespace: from, to, ports. */
function documentedFlows() {
  const section = guide.slice(guide.indexOf('### Network flows'));
  const table = section.slice(
    section.indexOf('| From | To | Port | Why |'),
    section.indexOf('\n\n', section.indexOf('| From |')),
  );
  return table
    .split('\n')
    .slice(2)
    .map((row) =>
      row
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
    .map(([from, to, ports]) => ({
      from: from.replace(/ \(.*\)$/, ''),
      to,
      ports: ports
        .split(', ')
        .map(Number)
        .sort((a, b) => a - b),
    }));
}

describe("the operator guide's flows table", () => {
  it('lists exactly the flows the system namespace policies admit', () => {
    const rendered = systemFlows.map(({ from, to, ports }) => ({ from, to, ports: [...ports].sort((a, b) => a - b) }));
    expect(documentedFlows()).toEqual(rendered);
  });
});
