// Types for crd-to-json-schema.mjs, for the TypeScript tests.
export type JsonSchema = Record<string, unknown>;
export function toStrictJsonSchema(schema: JsonSchema): JsonSchema;
export function crdToJsonSchemas(crd: unknown): { fileName: string; schema: JsonSchema }[];
export function convertCrdFiles(crdFiles: string[], outDir: string): string[];
