import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { stringify } from 'yaml';
import type { Diagnostic } from '@flyte-gkp/diagnostics';
import type { PathSegment, SourceDocument } from './source.js';

/**
 * One Ajv for every schema (each has an `$id` of its own): each Ajv compiles the JSON Schema meta-schema
 * before the first schema it checks, ~0.1 s of every command's start-up that three instances paid thrice.
 */
let ajv: Ajv | undefined;

/**
 * Validates a parsed document against a JSON Schema and reports ALL errors at once, each at the line
 * and column of the offending value, in words: `owners[0].role must be one of admin, edit, view`.
 */
export function schemaChecker(schema: object, rule: string): (source: SourceDocument) => Diagnostic[] {
  const verdict = schemaVerdict(schema, rule);
  return (source) => verdict(source).diagnostics;
}

export interface SchemaVerdict {
  diagnostics: Diagnostic[];
  /** The paths the schema refused: a value at fault, a field it does not know, a required field missing. */
  rejected: PathSegment[][];
}

/** As schemaChecker, with the paths at fault: the rest of the document is what the schema accepted. */
export function schemaVerdict(schema: object, rule: string): (source: SourceDocument) => SchemaVerdict {
  ajv ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
  const validate: ValidateFunction = ajv.compile(schema);
  return (source) => {
    if (validate(source.value)) return { diagnostics: [], rejected: [] };
    const seen = new Set<string>();
    const diagnostics: Diagnostic[] = [];
    const rejected = (validate.errors ?? []).map(rejectedPath);
    for (const error of validate.errors ?? []) {
      // `type` of an enum-less union and its siblings say the same thing twice.
      const d = toDiagnostic(error, source, rule);
      const key = `${d.line}:${d.column}:${d.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        diagnostics.push(d);
      }
    }
    return { diagnostics, rejected };
  };
}

function rejectedPath(error: ErrorObject): PathSegment[] {
  const path = pathOf(error.instancePath);
  if (error.keyword === 'required') return [...path, String(error.params.missingProperty)];
  if (error.keyword === 'additionalProperties') return [...path, String(error.params.additionalProperty)];
  if (error.keyword === 'propertyNames') return [...path, String(error.params.propertyName)];
  return path;
}

function pathOf(instancePath: string): PathSegment[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function displayPath(path: readonly PathSegment[]): string {
  return path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}

function toDiagnostic(error: ErrorObject, source: SourceDocument, rule: string): Diagnostic {
  const path = pathOf(error.instancePath);
  const name = displayPath(path) || 'the document';
  const described = (error.parentSchema as { description?: string } | undefined)?.description;
  const at = (p: PathSegment[], where: 'key' | 'value' = 'value') => ({
    file: source.file,
    ...source.locate(p, where),
    rule,
  });
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(error.params.additionalProperty);
      const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      return {
        ...at([...path, field], 'key'),
        message: `unknown field \`${field}\` in ${name}`,
        fix: allowed.length ? `remove it or fix its spelling; allowed here: ${allowed.join(', ')}` : 'remove it',
      };
    }
    case 'required': {
      const field = String(error.params.missingProperty);
      const example = exampleOf(error.parentSchema, field, source);
      return {
        ...at(path, path.length ? 'key' : 'value'),
        message: `${name} is missing the required field \`${field}\``,
        fix: example ? `add \`${field}\`, e.g. ${example}` : `add \`${field}\``,
      };
    }
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      return {
        ...at(path),
        message: `${name} must be one of ${allowed.join(', ')}`,
        fix: `use one of: ${allowed.join(', ')}`,
      };
    }
    case 'propertyNames': {
      const key = String(error.params.propertyName);
      return { ...at([...path, key], 'key'), message: `${name} has an invalid key \`${key}\``, fix: 'rename the key' };
    }
    case 'pattern':
      return {
        ...at(path),
        message: `${name} is not valid${described ? `: expected ${described}` : ''}`,
        fix: described ? `write ${described}` : `change ${name}`,
      };
    case 'type': {
      const expected = String(error.params.type).split(',').map(typeInWords).join(' or ');
      return { ...at(path), message: `${name} must be ${expected}`, fix: `write ${name} as ${expected}` };
    }
    default:
      return { ...at(path), message: `${name} ${error.message}`, fix: `change ${name}` };
  }
}

/**
 * A minimal example of a missing field, as the file would write it (YAML flow style, or JSON), from the
 * schema's `examples` or its only allowed value; `<id>` becomes the spec's id (else its file's name).
 */
function exampleOf(parentSchema: unknown, field: string, source: SourceDocument): string | undefined {
  const property = (parentSchema as { properties?: Record<string, { examples?: unknown[]; enum?: unknown[] }> })
    .properties?.[field];
  const example = property?.examples?.[0] ?? (property?.enum?.length === 1 ? property.enum[0] : undefined);
  if (example === undefined) return undefined;
  const value = source.value as { id?: unknown };
  const id =
    typeof value.id === 'string' && /^[a-z][-a-z0-9]*$/.test(value.id)
      ? value.id
      : source.file.replace(/^.*\//, '').replace(/\.[^.]*$/, '');
  const filled = JSON.parse(JSON.stringify(example).replaceAll('<id>', id)) as unknown;
  if (source.file.endsWith('.json'))
    return `${JSON.stringify(field)}: ${JSON.stringify(filled).replace(/([,:])(?=["{[])/g, '$1 ')}`;
  return `${field}: ${stringify(filled, { collectionStyle: 'flow', lineWidth: 0 }).trim()}`;
}

function typeInWords(type: string): string {
  const words: Record<string, string> = {
    array: 'a list',
    object: 'a mapping of fields',
    string: 'text',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
    null: 'empty',
  };
  return words[type] ?? type;
}
