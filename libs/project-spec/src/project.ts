import { createHash } from 'node:crypto';
import ajvPackage from 'ajv/package.json' with { type: 'json' };
import { DiagnosticError, type Diagnostic } from '@flyte-gkp/diagnostics';
import projectSchema from '../project.schema.json' with { type: 'json' };
import { isPlainData, type Memo } from './memo.js';
import { schemaVerdict } from './schema-check.js';
import type { FileSource } from './file-source.js';
import { knownSource, parserId, parseSource, type PathSegment, type SourceDocument } from './source.js';
import type { ProjectSpec } from './types.js';

/** A spec file that parsed and matched the schema, with positions for later rules. */
export interface LoadedProject {
  spec: ProjectSpec;
  source: SourceDocument;
}

/**
 * A refused file that parsed keeps its `source`: rules that look for leaked credentials still read it.
 * `rejected` are the paths the schema refused; the lint rules check the rest in the same run.
 */
export type LoadResult<T> =
  | { ok: true; value: T }
  | { ok: false; diagnostics: Diagnostic[]; source?: SourceDocument; rejected?: PathSegment[][] };

/** Compiled when a spec first needs it: not at all when every spec comes from the load memo. */
let checkProject: ReturnType<typeof schemaVerdict> | undefined;

/**
 * Specs that loaded before, by a digest of their text and of how it is read (JSON or YAML): the value
 * each parsed to, as JSON (each load gets objects of its own, even for two files of the same text). A
 * spec found there passed the parser and the schema as it is, and is not parsed again (a render of
 * 1,000 specs of which one changed parsed 999 for nothing: ~0.6 s). Positions are found when asked for.
 */
export type LoadMemo = Memo<string>;

/** Names this loader: parser, schema and code. A load memo is valid for one only. */
export const loaderId = createHash('sha1')
  .update([parserId, ajvPackage.version, JSON.stringify(projectSchema), String(schemaVerdict), String(load)].join('\0'))
  .digest('hex');

const memoKey = (file: string, text: string) =>
  createHash('sha1')
    .update(`${file.endsWith('.json') ? 'json' : 'yaml'}\0${text}`)
    .digest('hex');

export function loadProjectText(file: string, text: string, memo?: LoadMemo): LoadResult<LoadedProject> {
  if (!memo) return load(file, text);
  const key = memoKey(file, text);
  const known = memo.recall(key);
  if (known !== undefined) {
    const spec = JSON.parse(known) as ProjectSpec;
    return { ok: true, value: { spec, source: knownSource(file, text, spec) } };
  }
  const result = load(file, text);
  if (result.ok && isPlainData(result.value.spec)) memo.remember(key, JSON.stringify(result.value.spec));
  return result;
}

function load(file: string, text: string): LoadResult<LoadedProject> {
  const parsed = parseSource(file, text);
  if (!parsed.ok) return parsed;
  const { source } = parsed;
  if (typeof source.value !== 'object' || source.value === null || Array.isArray(source.value)) {
    return {
      ok: false,
      diagnostics: [
        {
          file,
          ...source.locate([]),
          rule: 'spec/schema',
          message: 'the spec must be a mapping of fields, not a list or a single value',
          fix: 'start from projects/x.yaml',
        },
      ],
      source,
    };
  }
  const { diagnostics, rejected } = (checkProject ??= schemaVerdict(projectSchema, 'spec/schema'))(source);
  if (diagnostics.length > 0) return { ok: false, diagnostics, source, rejected };
  return { ok: true, value: { spec: source.value as ProjectSpec, source } };
}

export async function loadProjectFile(
  files: FileSource,
  file: string,
  memo?: LoadMemo,
): Promise<LoadResult<LoadedProject>> {
  try {
    return loadProjectText(file, (await files.read(file)) ?? '', memo);
  } catch (error) {
    if (error instanceof DiagnosticError) return { ok: false, diagnostics: error.diagnostics };
    throw error;
  }
}
