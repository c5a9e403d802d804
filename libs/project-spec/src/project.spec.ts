import { describe, expect, it } from 'vitest';
import { Memo } from './memo.js';
import { loadProjectText } from './project.js';
import { maxSourceBytes } from './source.js';

const valid = `apiVersion: flytepoc.gkp.io/v1alpha1
kind: FlyteProject
id: x
displayName: Project X
owners:
  - group: team-x
    role: admin
storage:
  bucket: bucket-x
  credentialsSecret: mercury-x
`;
const findings = (text: string, file = 'projects/x.yaml') => {
  const result = loadProjectText(file, text);
  return result.ok ? [] : result.diagnostics.map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`);
};

describe('spec validation', () => {
  it('accepts the minimal spec', () => {
    expect(findings(valid)).toEqual([]);
  });

  it('reports all schema errors at once, each at the value at fault, in plain words', () => {
    const text = valid
      .replace('role: admin', 'role: owner')
      .replace('bucket: bucket-x', 'bucket: B')
      .replace('id: x', 'id: x\ncolour: red');
    expect(findings(text)).toEqual([
      '4:1 spec/schema unknown field `colour` in the document',
      '8:11 spec/schema owners[0].role must be one of admin, edit, view',
      '10:11 spec/schema storage.bucket is not valid: expected an S3 bucket name: ' +
        '3 to 63 lower-case letters, digits and inner hyphens',
    ]);
  });

  it('takes GitHub team handles as reviewers and refuses any other name at its line', () => {
    const withReviewers = (list: string) => valid.replace('storage:\n', `reviewers: ${list}\nstorage:\n`);
    expect(findings(withReviewers('["@acme/team-x", "@Acme-Corp/ml_ops-2"]'))).toEqual([]);
    for (const handle of ['team-x', '@acme', '@acme/Team-X', '@-acme/x', '@acme-/x', '@ac--me/x', '@acme/x/y']) {
      expect(findings(withReviewers(`["@acme/ok", "${handle}"]`)), handle).toEqual([
        expect.stringMatching(/^8:25 spec\/schema reviewers\[1\] is not valid: expected a GitHub team `@org\/team`/),
      ]);
    }
    expect(findings(withReviewers(`["@${'a'.repeat(40)}/x"]`))).toHaveLength(1);
    expect(findings(withReviewers('[]'))).toEqual([expect.stringContaining('reviewers')]);
  });

  it('points a missing field at its parent', () => {
    expect(findings(valid.replace('  credentialsSecret: mercury-x\n', ''))).toEqual([
      '8:1 spec/schema storage is missing the required field `credentialsSecret`',
    ]);
  });

  it('locates errors in JSON specs too', () => {
    const json = JSON.stringify(
      {
        apiVersion: 'flytepoc.gkp.io/v1alpha1',
        kind: 'FlyteProject',
        id: 'x',
        displayName: 'X',
        owners: [{ group: 'g', role: 'boss' }],
        storage: { bucket: 'bucket-x', credentialsSecret: 's' },
      },
      null,
      2,
    );
    expect(findings(json, 'projects/x.json')).toEqual([
      '9:15 spec/schema owners[0].role must be one of admin, edit, view',
    ]);
  });

  it('refuses YAML features a spec never needs: duplicate keys, anchors, custom tags, several documents', () => {
    expect(findings(valid.replace('kind: FlyteProject', 'kind: FlyteProject\nkind: FlyteProject'))).toEqual([
      '3:1 yaml/syntax a key appears twice in the same mapping',
    ]);
    expect(findings(valid.replace('displayName: Project X', 'displayName: &n Project X\ndescription: *n'))).toEqual([
      '4:17 yaml/syntax YAML anchors and aliases are not allowed in spec files',
    ]);
    expect(findings(valid.replace('displayName: Project X', 'displayName: !!binary UHJvamVjdA=='))).toEqual([
      '4:23 yaml/syntax the YAML tag !!binary is not allowed',
    ]);
    expect(findings(`${valid}---\n${valid}`)).toEqual(['11:1 yaml/syntax the file holds more than one YAML document']);
  });

  it('refuses an empty file, a list and an oversized file without parsing further', () => {
    expect(findings('')).toEqual(['1:1 yaml/syntax the file is empty']);
    expect(findings('# only a comment\n')).toEqual(['1:1 yaml/syntax the file is empty']);
    expect(findings('- id: x\n')).toEqual([
      '1:1 spec/schema the spec must be a mapping of fields, not a list or a single value',
    ]);
    expect(findings(`${valid}description: "${'a'.repeat(maxSourceBytes)}"\n`)[0]).toMatch(
      /^1:1 yaml\/syntax the file is larger than 64 KiB/,
    );
  });

  it('reports an unclosed quote where it opens, not at the end of the file', () => {
    expect(findings(valid.replace('displayName: Project X', "displayName: 'Project X"))).toEqual([
      "4:14 yaml/syntax a quoted string opened here is never closed: add the closing '",
    ]);
    expect(findings(valid.replace('displayName: Project X', 'displayName: "Project \\" X'))).toEqual([
      '4:14 yaml/syntax a quoted string opened here is never closed: add the closing "',
    ]);
  });

  it('reports a YAML syntax error at its position', () => {
    const [finding] = findings(valid.replace('owners:', 'owners: [\n'));
    expect(finding).toMatch(/^\d+:\d+ yaml\/syntax invalid YAML: /);
  });
});

describe('specs that loaded before (the load memo)', () => {
  const positions = (text: string, file: string, memo?: Memo<string>) => {
    const result = loadProjectText(file, text, memo);
    if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
    const { source, spec } = result.value;
    return {
      spec,
      bucket: source.locate(['storage', 'bucket']),
      ownerKey: source.locate(['owners', 0, 'role'], 'key'),
    };
  };

  it('load to the same value, each value found at the same line and column, without parsing them again', () => {
    const memo = new Memo<string>();
    const first = positions(valid, 'projects/x.yaml', memo);
    expect(memo.written).toBe(1);
    expect(first.bucket).toEqual({ line: 9, column: 11 });

    const again = positions(valid, 'projects/x.yaml', new Memo(memo.added()));

    expect(again).toEqual(first);
    expect(again.spec, 'each load has objects of its own').not.toBe(first.spec);
  });

  it('are only those that loaded: a refused spec is read and reported afresh every time', () => {
    const memo = new Memo<string>();
    const broken = valid.replace('role: admin', 'role: owner');
    expect(findings(broken)).toHaveLength(1);
    expect(loadProjectText('projects/x.yaml', broken, memo).ok).toBe(false);
    expect(memo.written).toBe(0);
  });

  it('are told apart by how they are read: a text YAML accepts is still refused as JSON', () => {
    const yamlNotJson = '{"apiVersion": "flytepoc.gkp.io/v1alpha1", "kind": "FlyteProject", "id": "x",}';
    const memo = new Memo<string>();
    loadProjectText('projects/x.yaml', yamlNotJson, memo);
    const asJson = loadProjectText('projects/x.json', yamlNotJson, new Memo(memo.added()));
    expect(asJson.ok ? [] : asJson.diagnostics.map((d) => d.rule)).toEqual(['json/syntax']);
  });
});
