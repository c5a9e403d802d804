import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { docFiles, repoRoot } from './generate.js';
import { anchorsOf, checkLinks, githubSlug, linkTargets } from './links.js';

/** The Markdown a reader reaches from the README: the README, the guides, and the libraries' own READMEs. */
const files = [
  ...(await docFiles(repoRoot)),
  'libs/lint/README.md',
  'libs/plan/README.md',
  'tests/README.md',
  'tools/bench/README.md',
];

describe('links of README.md and docs/', () => {
  it.each(files)('%s: every link leads to a file of the repository and a heading of it', (file) => {
    expect(checkLinks(repoRoot, file)).toEqual([]);
  });

  it('reaches every guide from the README', () => {
    const guides = files.filter((f) => /^docs\/[^/]+\.md$/.test(f));
    const linked = new Set(linkTargets(readFileSync(join(repoRoot, 'README.md'), 'utf8')).map((t) => t.split('#')[0]));
    expect(guides.length).toBeGreaterThanOrEqual(4);
    expect(guides.filter((g) => !linked.has(g))).toEqual([]);
  });
});

describe('the link check', () => {
  const root = mkdtempSync(join(tmpdir(), 'links-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reports a missing file, a missing anchor and links that leave the repository', () => {
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs/a.md'), '# A guide\n\n## Step one: `npm run docs`\n');
    writeFileSync(
      join(root, 'docs/b.md'),
      [
        '[fine](a.md#step-one-npm-run-docs) [fine](#own) [web](https://example.org/x)',
        '[gone](c.md) [no anchor](a.md#step-two) [outside](../../etc/passwd) [absolute](/etc/passwd)',
        '[scheme](file:///etc/passwd)',
        '```md',
        '[an example in code](nowhere.md)',
        '```',
        '## Own',
        '[ref]: a.md#nowhere',
      ].join('\n'),
    );
    expect(checkLinks(root, 'docs/b.md')).toEqual([
      'docs/b.md: link c.md: no such file docs/c.md',
      'docs/b.md: link a.md#step-two: no heading with the anchor #step-two in docs/a.md',
      'docs/b.md: link ../../etc/passwd: points outside the repository',
      'docs/b.md: link /etc/passwd: points outside the repository',
      'docs/b.md: link file:///etc/passwd: leaves the repository: only http(s) links may',
      'docs/b.md: link a.md#nowhere: no heading with the anchor #nowhere in docs/a.md',
    ]);
  });

  it('slugs headings as GitHub does', () => {
    expect(githubSlug("Your workflows' storage keys")).toBe('your-workflows-storage-keys');
    expect(githubSlug('The Flyte platform (flyte-v0.15.0)')).toBe('the-flyte-platform-flyte-v0150');
    expect(githubSlug('Secrets: Mercury credentials of a project')).toBe('secrets-mercury-credentials-of-a-project');
    expect(githubSlug('Setting `flyte.helmRepo`')).toBe('setting-flytehelmrepo');
    expect([...anchorsOf('## Plan\n\n## Plan\n')]).toEqual(['plan', 'plan-1']);
  });
});
