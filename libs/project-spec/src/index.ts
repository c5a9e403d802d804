export { decodeUtf8, diskSource, type FileSource } from './file-source.js';
export { loadProjectFile, loadProjectText, type LoadedProject, type LoadResult } from './project.js';
export { displayPath, schemaChecker } from './schema-check.js';
export { maxSourceBytes, parseSource, type ParseResult, type PathSegment, type SourceDocument } from './source.js';
export { projectApiVersion, type DomainSettings, type OwnerRole, type ProjectSpec, type Quota } from './types.js';
