// Turns CustomResourceDefinitions into the JSON Schema files kubeconform loads (it cannot read CRDs).
// Mirrors kubeconform's scripts/openapi2jsonschema.py, in strict mode, with two corrections:
//  - the walk follows schema keywords only, so a field that happens to be NAMED "properties" or
//    "type" is not mistaken for a schema;
//  - objects marked x-kubernetes-preserve-unknown-fields stay open (the API server keeps their
//    unknown fields, e.g. Helm valuesObject), and the root is closed too (DENY_ROOT_ADDITIONAL_PROPERTIES).
// Imports the `yaml` package: setup loads this module only after `npm ci` has run.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
const SUBSCHEMA = new Set(['items', 'additionalProperties', 'not']);
const SUBSCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);

/** Returns a strict copy of one OpenAPI v3 (structural) schema; the input is not modified. */
export function toStrictJsonSchema(schema) {
  if (Array.isArray(schema)) return schema.map(toStrictJsonSchema);
  if (!isObject(schema)) return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, toStrictJsonSchema(sub)]));
    } else if ((SUBSCHEMA.has(key) && isObject(value)) || (SUBSCHEMA_LISTS.has(key) && Array.isArray(value))) {
      out[key] = toStrictJsonSchema(value);
    } else {
      out[key] = value;
    }
  }
  if (schema['x-kubernetes-int-or-string'] === true) {
    // Structural schemas carry no `type` here; JSON Schema needs the two alternatives spelled out.
    delete out.type;
    out.anyOf = [{ type: 'string' }, { type: 'integer' }];
  }
  if (out.properties && !('additionalProperties' in out) && schema['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

/** One JSON Schema per version of a CRD, named as kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json` expects. */
export function crdToJsonSchemas(crd) {
  const { group, names, versions = [] } = crd?.spec ?? {};
  if (!group || !names?.kind) throw new Error(`not a CustomResourceDefinition: ${crd?.metadata?.name ?? '(no name)'}`);
  return versions
    .filter((version) => version.schema?.openAPIV3Schema)
    .map((version) => ({
      fileName: `${names.kind}-${group.split('.')[0]}-${version.name}.json`.toLowerCase(),
      schema: toStrictJsonSchema(version.schema.openAPIV3Schema),
    }));
}

/**
 * Converts every CRD found in the given YAML files (multi-document and `List` files too);
 * returns the file names written to outDir.
 */
export function convertCrdFiles(crdFiles, outDir) {
  const written = [];
  for (const file of crdFiles) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      const value = doc.toJS({ maxAliasCount: -1 });
      const items = value?.kind === 'List' ? (value.items ?? []) : [value];
      for (const crd of items.filter((item) => item?.kind === 'CustomResourceDefinition')) {
        for (const { fileName, schema } of crdToJsonSchemas(crd)) {
          writeFileSync(join(outDir, fileName), `${JSON.stringify(schema, null, 2)}\n`);
          written.push(fileName);
        }
      }
    }
  }
  return written;
}
