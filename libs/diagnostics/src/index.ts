export { DiagnosticError, location, type Diagnostic } from './diagnostic.js';
export { formatDiagnostics, formatHuman, outputFormats, type OutputFormat } from './format.js';
