export { decodeUtf8, diskSource, type FileSource } from './file-source.js';
export {
  loaderId,
  loadProjectFile,
  loadProjectText,
  type LoadedProject,
  type LoadMemo,
  type LoadResult,
} from './project.js';
export { isPlainData, Memo } from './memo.js';
export { displayPath, schemaChecker } from './schema-check.js';
export { maxSourceBytes, parseSource, type ParseResult, type PathSegment, type SourceDocument } from './source.js';
export { projectApiVersion, type DomainSettings, type OwnerRole, type ProjectSpec, type Quota } from './types.js';
