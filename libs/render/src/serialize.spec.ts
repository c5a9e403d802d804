import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { toYamlDocuments } from './serialize.js';

// Read back with the other YAML library, as a YAML 1.1 reader (Kubernetes, Argo CD, Helm) and a 1.2 one.
const readBack = (text: string, version: '1.1' | '1.2') => parseAllDocuments(text, { version }).map((d) => d.toJS());

// Strings that some YAML version resolves to a boolean, number, null, date or merge key when left bare.
const lookAlikes = ['y', 'N', 'yes', 'Off', 'on', 'true', '~', 'null', '', '0755', '0o17', '0x1F', '0b101', '1_000', '+1', '-.5', '.5', '1.', '1e3', '1:30', '2001-12-14', '<<', '.inf', '-.Inf', '.NaN', '12e03'];
// Strings that are YAML syntax when bare.
const syntax = ['- a', 'a: b', '#x', 'a #b', ' lead', 'trail ', '@x', '`x', '!x', '&x', '*x', '%x', '|', '>', '{a}', '[a]', '"q"', "'q'", '---', '...', '? x', 'a\nb', 'tab\there'];

describe('toYamlDocuments', () => {
  it.each(['1.1', '1.2'] as const)('keeps every string a string, as value and as key, for a YAML %s reader', (version) => {
    const objects = [...lookAlikes, ...syntax].map((s) => ({ value: s, [s]: 'key', list: [s] }));

    expect(readBack(toYamlDocuments(objects), version)).toEqual(objects);
  });

  it('keeps numbers, booleans and nesting, and writes one document per object in order', () => {
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', labels: { n: '1' } } },
      { spec: { replicas: 2, enabled: false, limits: [{ cpu: '500m' }] } },
    ];

    const text = toYamlDocuments(objects);

    expect(readBack(text, '1.1')).toEqual(objects);
    expect(text).toContain('replicas: 2\n');
    expect(text.split('---\n')).toHaveLength(2);
  });

  it('leaves out a field that is undefined, as an optional typed field is', () => {
    expect(readBack(toYamlDocuments([{ kind: 'Namespace', description: undefined }]), '1.1')).toEqual([{ kind: 'Namespace' }]);
  });

  it('writes the same text for the same object, whatever else it was written with', () => {
    const shared = { metadata: { name: 'x' } };

    expect(toYamlDocuments([shared, shared])).toBe(`${toYamlDocuments([shared])}---\n${toYamlDocuments([shared])}`);
    expect(toYamlDocuments([shared])).not.toMatch(/[&*]/); // no anchors or aliases: Argo CD diffs plain text
  });
});
