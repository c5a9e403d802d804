import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  visit,
  type Document,
  type Node,
} from 'yaml';
import yamlPackage from 'yaml/package.json' with { type: 'json' };
import type { Diagnostic } from '@flyte-gkp/diagnostics';

/** Spec and platform files are small; a larger one is a mistake or an attack. */
export const maxSourceBytes = 64 * 1024;

export type PathSegment = string | number;

/** A parsed YAML or JSON file that can say where any value of it stands. */
export interface SourceDocument {
  file: string;
  /** The text as written, comments included. */
  text: string;
  value: unknown;
  /** 1-based line and column of the value at `path` (of its key, with `at: 'key'`). */
  locate(path: readonly PathSegment[], at?: 'key' | 'value'): { line: number; column: number };
}

export type ParseResult = { ok: true; source: SourceDocument } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Parses YAML or JSON with source positions. A `.json` file is strict JSON first (a trailing comma or a
 * comment is refused, in JSON's terms); then it is read as YAML (JSON is YAML) for positions. Rejects
 * what a spec never needs and an attacker likes: several documents, anchors and aliases, custom tags,
 * duplicate keys, oversized input.
 */
export function parseSource(file: string, text: string): ParseResult {
  const fail = (message: string, fix: string, line = 1, column = 1): ParseResult => ({
    ok: false,
    diagnostics: [{ file, line, column, rule: 'yaml/syntax', message, fix }],
  });
  if (Buffer.byteLength(text, 'utf8') > maxSourceBytes) {
    return fail(
      `the file is larger than ${maxSourceBytes / 1024} KiB`,
      'a spec is a few dozen lines: remove what does not belong in it',
    );
  }
  const lineCounter = new LineCounter();
  const jsonProblem = file.endsWith('.json') && text.trim() !== '' ? strictJsonProblem(text) : undefined;
  if (jsonProblem) {
    const at = lineAndColumn(text, jsonProblem.offset);
    return {
      ok: false,
      diagnostics: [{ file, ...at, rule: 'json/syntax', message: jsonProblem.message, fix: jsonProblem.fix }],
    };
  }
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const docs = Array.isArray(documents) ? documents : [documents];
  const pos = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (docs.length === 0 || docs[0].contents === null) {
    return fail('the file is empty', 'write the spec: see projects/x.yaml for an example');
  }
  if (docs.length > 1) {
    const at = pos(docs[1].range[0]);
    return fail(
      'the file holds more than one YAML document',
      'keep one spec per file: remove the `---` separator and what follows',
      at.line,
      at.column,
    );
  }
  const doc = docs[0];
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      diagnostics: problems.map((e) => {
        const at = pos(unclosedQuoteStart(text, e.message, e.pos[0]) ?? e.pos[0]);
        return {
          file,
          ...at,
          rule: 'yaml/syntax',
          message: describeYamlProblem(e.code, e.message),
          fix: yamlFix(e.code),
        };
      }),
    };
  }
  const refused = refusedNode(doc);
  if (refused) {
    const at = pos(refused.node.range?.[0] ?? 0);
    return fail(refused.message, refused.fix, at.line, at.column);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 0 });
  return { ok: true, source: { file, text, value, locate: (path, at = 'value') => pos(offsetOf(doc, path, at)) } };
}

/**
 * A document known to parse (a memo says so): its value as given, the text parsed again only when a
 * position is asked for, which is where a finding is reported, so rarely.
 */
export function knownSource(file: string, text: string, value: unknown): SourceDocument {
  let parsed: SourceDocument | undefined;
  return {
    file,
    text,
    value,
    locate(path, at) {
      if (!parsed) {
        const result = parseSource(file, text);
        if (!result.ok) throw new Error(`${file} was remembered as parsed, and does not parse`);
        parsed = result.source;
      }
      return parsed.locate(path, at);
    },
  };
}

/** Where and why `text` is not strict JSON (RFC 8259), or undefined when it is. */
function strictJsonProblem(text: string): { offset: number; message: string; fix: string } | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const comma = trailingComma(text);
    if (comma !== undefined)
      return {
        offset: comma,
        message: 'invalid JSON: a comma after the last item (JSON allows no trailing comma)',
        fix: 'remove this comma',
      };
    const reason = (error as Error).message;
    const offset = Number(/at position (\d+)/.exec(reason)?.[1] ?? 0);
    const said = reason.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '');
    return {
      offset,
      message: `invalid JSON: ${said}`,
      fix: 'fix the JSON syntax at this position (a JSON validator in your editor shows it as you type)',
    };
  }
}

/** The offset of the first comma followed only by blanks and a closing bracket, outside strings. */
function trailingComma(text: string): number | undefined {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ',') {
      closing.lastIndex = i + 1;
      if (closing.test(text)) return i;
    }
  }
  return undefined;
}
const closing = /\s*[}\]]/y;

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/**
 * The parser notices a missing closing quote only at the end of the file. The string it left open holds
 * no unescaped quote of its kind, so the last one before that point is where it opened.
 */
function unclosedQuoteStart(text: string, message: string, end: number): number | undefined {
  const quote = /^Missing closing (["'])quote/.exec(message)?.[1];
  if (!quote) return undefined;
  for (let i = Math.min(end, text.length) - 1; i >= 0; i--) {
    if (text[i] === quote && !(quote === '"' && text[i - 1] === '\\')) return i;
  }
  return undefined;
}

function describeYamlProblem(code: string, message: string): string {
  if (code === 'DUPLICATE_KEY') return 'a key appears twice in the same mapping';
  if (code === 'TAG_RESOLVE_FAILED') return 'a YAML tag that is not allowed here';
  // Thousands of nested brackets overflow the parser's recursion; it reports that in its own terms.
  if (message.includes('Maximum call stack size exceeded')) return 'the file nests values too deeply to be a spec';
  const quote = /^Missing closing (["'])quote/.exec(message)?.[1];
  if (quote) return `a quoted string opened here is never closed: add the closing ${quote}`;
  // The yaml library's first line is the useful part; the rest repeats the source.
  return `invalid YAML: ${message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`;
}

function yamlFix(code: string): string {
  if (code === 'DUPLICATE_KEY') return 'keep one of the two entries';
  return 'fix the YAML syntax at this position (a JSON or YAML validator in your editor shows it as you type)';
}

function refusedNode(doc: Document): { node: Node; message: string; fix: string } | undefined {
  let found: { node: Node; message: string; fix: string } | undefined;
  visit(doc, (_key, node) => {
    if (isAlias(node) || ((isScalar(node) || isCollection(node)) && node.anchor)) {
      found = {
        node,
        message: 'YAML anchors and aliases are not allowed in spec files',
        fix: 'write each value out in full',
      };
      return visit.BREAK;
    }
    if ((isScalar(node) || isCollection(node)) && node.tag && !isCoreTag(node.tag)) {
      found = {
        node,
        message: `the YAML tag ${node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed`,
        fix: 'remove the tag: values are plain strings, numbers, booleans, lists and mappings',
      };
      return visit.BREAK;
    }
    if (isPair(node) && !isScalar(node.key)) {
      found = {
        node: node.key as Node,
        message: 'a mapping key must be a plain value',
        fix: 'use a plain string as key',
      };
      return visit.BREAK;
    }
    if (isMap(node)) {
      // `true:` and `"true":` are different YAML scalars but one key once read: the parser's own check misses it.
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (seen.has(key)) {
          found = {
            node: pair.key as Node,
            message: 'a key appears twice in the same mapping',
            fix: 'keep one of the two entries',
          };
          return visit.BREAK;
        }
        seen.add(key);
      }
    }
    return undefined;
  });
  return found;
}

function isCoreTag(tag: string): boolean {
  return [
    'tag:yaml.org,2002:str',
    'tag:yaml.org,2002:int',
    'tag:yaml.org,2002:float',
    'tag:yaml.org,2002:bool',
    'tag:yaml.org,2002:null',
    'tag:yaml.org,2002:map',
    'tag:yaml.org,2002:seq',
  ].includes(tag);
}

/** Walks as far down `path` as the document goes; a missing step points at its parent. */
function offsetOf(doc: Document, path: readonly PathSegment[], at: 'key' | 'value'): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return offset;
      if (last && at === 'key') return (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
      offset = (pair.value as Node | null)?.range?.[0] ?? (pair.key as Node).range?.[0] ?? offset;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
      node = node.items[segment];
      offset = (node as Node).range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

/** Names this parser: its code, what accepts a document, and the yaml library's version. */
export const parserId = [
  yamlPackage.version,
  ...[parseSource, strictJsonProblem, trailingComma, refusedNode, isCoreTag].map(String),
].join('\0');
