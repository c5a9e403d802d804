import { describe, expect, it } from 'vitest';
import { formatDiagnostics, formatHuman } from './format.js';

const finding = {
  file: 'projects/x.yaml',
  line: 4,
  column: 9,
  rule: 'spec/schema',
  message: 'owners[0].role must be one of admin, edit, view',
  fix: 'use one of: admin, edit, view',
};

describe('reports', () => {
  it('sorts findings by file and position, one line each plus its fix', () => {
    const later = { ...finding, line: 9, message: 'later' };
    expect(formatHuman([later, finding]).split('\n')).toEqual([
      'projects/x.yaml:4:9 owners[0].role must be one of admin, edit, view [spec/schema]',
      '  fix: use one of: admin, edit, view',
      'projects/x.yaml:9:9 later [spec/schema]',
      '  fix: use one of: admin, edit, view',
    ]);
  });

  it('keeps text a user wrote on one line, so it cannot forge a report line', () => {
    const forged = { ...finding, message: 'unknown field `a\nprojects/ghost.yaml:1:1 all checks passed [drift]`' };
    const lines = formatHuman([forged]).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('a\\u000aprojects/ghost.yaml');
  });

  it('escapes markup in JUnit XML and fails only the files at fault', () => {
    const xml = formatDiagnostics(
      'junit',
      [{ ...finding, message: 'a <b> & "c"' }],
      ['projects/x.yaml', 'projects/y.json'],
    );
    expect(xml).toContain('a &lt;b> &amp; &quot;c&quot;');
    expect(xml).toMatch(/<testcase [^>]*name="projects\/y.json"[^>]*\/>/);
    expect(xml).toMatch(/<testsuite [^>]*failures="1"/);
  });

  it('prints nothing in human form when all is well, and an ok JSON report', () => {
    expect(formatDiagnostics('human', [], ['projects/x.yaml'])).toBe('');
    expect(JSON.parse(formatDiagnostics('json', [], ['projects/x.yaml']))).toEqual({
      ok: true,
      checkedFiles: ['projects/x.yaml'],
      diagnostics: [],
    });
  });
});
