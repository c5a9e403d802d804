import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { SerializationMemo, toYamlDocuments } from './serialize.js';

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

describe('SerializationMemo', () => {
  const objects = [{ kind: 'Namespace', metadata: { name: 'a', labels: { on: 'y' } } }];

  it('gives the text a fresh write gives, and writes each distinct set of objects once', () => {
    const memo = new SerializationMemo();

    const first = toYamlDocuments(objects, memo);
    const again = toYamlDocuments(structuredClone(objects), new SerializationMemo(memo.entries(10)));

    expect(first).toBe(toYamlDocuments(objects));
    expect(again).toBe(first);
    expect(memo.written).toBe(1);
  });

  it('tells apart objects that JSON would not: NaN and null, -0 and 0, a Date and its ISO text', () => {
    const memo = new SerializationMemo();
    const when = new Date('2026-11-24T00:00:00Z');
    const pairs = [
      [{ value: NaN }, { value: null }],
      [{ value: -0 }, { value: 0 }],
      [{ value: when }, { value: when.toISOString() }],
    ];

    for (const [first] of pairs) toYamlDocuments([first], memo);
    for (const [, second] of pairs) expect(toYamlDocuments([second], memo)).toBe(toYamlDocuments([second]));
  });

  it('knows the objects of a second render, built anew, as the same', () => {
    const build = () => [{ kind: 'ResourceQuota', spec: { hard: { cpu: String(4), pods: 2 * 10 } } }];
    const memo = new SerializationMemo();
    toYamlDocuments(build(), memo);

    const next = new SerializationMemo(memo.entries(10));
    toYamlDocuments(build(), next);

    expect(next.written).toBe(0);
  });

  it('keeps the texts used last when it must drop some', () => {
    const memo = new SerializationMemo();
    for (const name of ['a', 'b', 'c']) toYamlDocuments([{ name }], memo);
    const kept = new SerializationMemo(memo.entries(2));

    toYamlDocuments([{ name: 'c' }], kept);
    toYamlDocuments([{ name: 'a' }], kept);

    expect(kept.written).toBe(1); // 'a' was dropped, 'c' kept
  });
});
