export { causeRank, DiagnosticError, location, type Diagnostic } from './diagnostic.js';
export { formatDiagnostics, formatHuman, outputFormats, printable, shownPath, type OutputFormat } from './format.js';
export { toolTimeoutMs, toolTimeoutVariable } from './tool-timeout.js';
