import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadWorkspace } from '@flyte-gkp/gate';
import { repoRoot } from '@flyte-gkp/testing';
import { blockYaml, SerializationMemo, toYamlDocuments } from './serialize.js';

// Read back with the other YAML library, as a YAML 1.1 reader (Kubernetes, Argo CD, Helm) and a 1.2 one.
const readBack = (text: string, version: '1.1' | '1.2') => parseAllDocuments(text, { version }).map((d) => d.toJS());

// Strings that some YAML version resolves to a boolean, number, null, date or merge key when left bare.
const lookAlikes = [
  'y',
  'N',
  'yes',
  'Off',
  'on',
  'true',
  '~',
  'null',
  '',
  '0755',
  '0o17',
  '0x1F',
  '0b101',
  '1_000',
  '+1',
  '-.5',
  '.5',
  '1.',
  '1e3',
  '1:30',
  '2001-12-14',
  '<<',
  '.inf',
  '-.Inf',
  '.NaN',
  '12e03',
];
// Strings that are YAML syntax when bare.
const syntax = [
  '- a',
  'a: b',
  '#x',
  'a #b',
  ' lead',
  'trail ',
  '@x',
  '`x',
  '!x',
  '&x',
  '*x',
  '%x',
  '|',
  '>',
  '{a}',
  '[a]',
  '"q"',
  "'q'",
  '---',
  '...',
  '? x',
  'a\nb',
  'tab\there',
];

describe('toYamlDocuments', () => {
  it.each(['1.1', '1.2'] as const)(
    'keeps every string a string, as value and as key, for a YAML %s reader',
    (version) => {
      const objects = [...lookAlikes, ...syntax].map((s) => ({ value: s, [s]: 'key', list: [s] }));

      expect(readBack(toYamlDocuments(objects), version)).toEqual(objects);
    },
  );

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
    expect(readBack(toYamlDocuments([{ kind: 'Namespace', description: undefined }]), '1.1')).toEqual([
      { kind: 'Namespace' },
    ]);
  });

  it('writes the same text for the same object, whatever else it was written with', () => {
    const shared = { metadata: { name: 'x' } };

    expect(toYamlDocuments([shared, shared])).toBe(`${toYamlDocuments([shared])}---\n${toYamlDocuments([shared])}`);
    expect(toYamlDocuments([shared])).not.toMatch(/[&*]/); // no anchors or aliases: Argo CD diffs plain text
  });
});

/** js-yaml's own text: what blockYaml must write whenever it writes anything. */
const jsYaml = (object: object) => dump(object, { lineWidth: -1, noRefs: true, quoteStyle: 'double' } as object);

/** A deterministic stream of numbers in [0, 1) (mulberry32), so a failing case can be run again. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('blockYaml, the fast writer', () => {
  const strings = [
    ...lookAlikes,
    ...syntax,
    'plain',
    'a-b.c/d_e',
    'Yes',
    'yEs',
    'NULL',
    'ü',
    'a: b\n',
    'x\ny\n',
    'x\ny',
    '  lead\nx\n',
    'x\n\n',
    '\nx\n',
    '#c\nx\n',
    'trail \nx\n',
    'tab\there\nx\n',
    'a\n  b\n',
    '- x\n- y\n',
    'k: v\nl: w\n',
    '103020-flytepoc-x-d-dev',
    'http://a:b/c',
    '{{ .podName }}',
  ];

  /** Nested objects and arrays of those strings (as keys and values), integers, booleans, null, undefined. */
  function generated(next: () => number, depth: number): unknown {
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)];
    const roll = next();
    if (depth > 3 || roll < 0.45) return pick<unknown>([...strings, 0, 7, -3, 65536, true, false, null, undefined]);
    const size = Math.floor(next() * 4);
    if (roll < 0.7) return Array.from({ length: size }, () => generated(next, depth + 1));
    return Object.fromEntries(Array.from({ length: size }, () => [pick(strings), generated(next, depth + 1)]));
  }

  it('writes js-yaml`s very text, or leaves the object to js-yaml, on 3,000 generated objects', () => {
    const next = random(20261202);
    let written = 0;
    for (let i = 0; i < 3000; i++) {
      const object = { kind: 'Generated', data: generated(next, 0), more: generated(next, 1) };
      const text = blockYaml(object);
      if (text === undefined) continue;
      written += 1;
      expect(text, JSON.stringify(object)).toBe(jsYaml(object));
    }
    expect(written, 'most generated objects take the fast path').toBeGreaterThan(2000);
  });

  it('writes every object of the example render, and each as js-yaml would', async () => {
    const workspace = await loadWorkspace(repoRoot);
    const objects = [...workspace.rendered.values()].flat().flatMap((f) => f.objects);
    expect(objects.length).toBeGreaterThan(50);
    for (const object of objects) expect(blockYaml(object)).toBe(jsYaml(object));
  });

  it('leaves to js-yaml what it does not write itself: fractions, dates, a block with an indentation indicator', () => {
    for (const object of [
      { ratio: 0.5 },
      { at: new Date(0) },
      { text: '  lead\nx\n' },
      { text: 'x\n\n' },
      {},
      { gone: undefined },
    ]) {
      expect(blockYaml(object)).toBeUndefined();
      expect(toYamlDocuments([object])).toBe(jsYaml(object));
    }
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
