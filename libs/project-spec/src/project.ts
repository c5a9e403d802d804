import { DiagnosticError, type Diagnostic } from '@flyte-gkp/diagnostics';
import projectSchema from '../project.schema.json' with { type: 'json' };
import { schemaVerdict } from './schema-check.js';
import type { FileSource } from './file-source.js';
import { parseSource, type PathSegment, type SourceDocument } from './source.js';
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

const checkProject = schemaVerdict(projectSchema, 'spec/schema');

export function loadProjectText(file: string, text: string): LoadResult<LoadedProject> {
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
  const { diagnostics, rejected } = checkProject(source);
  if (diagnostics.length > 0) return { ok: false, diagnostics, source, rejected };
  return { ok: true, value: { spec: source.value as ProjectSpec, source } };
}

export async function loadProjectFile(files: FileSource, file: string): Promise<LoadResult<LoadedProject>> {
  try {
    return loadProjectText(file, (await files.read(file)) ?? '');
  } catch (error) {
    if (error instanceof DiagnosticError) return { ok: false, diagnostics: error.diagnostics };
    throw error;
  }
}
