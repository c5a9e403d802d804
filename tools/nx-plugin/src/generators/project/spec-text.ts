import { isDeepStrictEqual } from 'node:util';
import { Document, parse, Scalar, visit } from 'yaml';
import type { ProjectSpec } from '@flyte-gkp/project-spec';

const schemaComment = ' yaml-language-server: $schema=../libs/project-spec/project.schema.json';

/** Words that some YAML reader takes for a boolean or a null when written plain (YAML 1.1's list holds 1.2's). */
const readAsBooleanOrNull = /^(?:y|n|yes|no|on|off|true|false|null|~)$/i;
/**
 * Text that no YAML reader takes for anything but that text when written plain: it starts with a letter
 * (no number, date, sexagesimal `12:30`, `.inf` or `0o14` does), holds no character with a meaning in
 * YAML (`:`, `#`, quotes, brackets…) and no space at its end.
 */
const plainEverywhere = /^[A-Za-z](?:[A-Za-z0-9 _./-]*[A-Za-z0-9_./-])?$/;

const safePlain = (text: string) => plainEverywhere.test(text) && !readAsBooleanOrNull.test(text);

/**
 * The spec as the generator writes it. Every text value (and key) that some reader, YAML 1.1 (Go's
 * yaml.v2, PyYAML) or 1.2 (this repository's gate), would read as a number, a boolean, a date or a null
 * is double-quoted, so any reader reads back the very text the tenant gave.
 */
export function specText(spec: ProjectSpec, format: 'yaml' | 'json'): string {
  if (format === 'json')
    return `${JSON.stringify({ $schema: '../libs/project-spec/project.schema.json', ...spec }, null, 2)}\n`;
  const doc = new Document(spec);
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && !safePlain(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  doc.commentBefore = schemaComment;
  const text = doc.toString({ lineWidth: 0 });
  // Checked, not assumed: the generator must never write a spec that reads back as something else.
  for (const version of ['1.1', '1.2'] as const) {
    if (!isDeepStrictEqual(parse(text, { version }), spec))
      throw new Error(`internal error: the spec written does not read back the same in YAML ${version}:\n${text}`);
  }
  return text;
}
