export { renderWorkspace, runGate, type GateOptions, type GateResult, type RenderResult } from './gate.js';
export { listSpecFiles, loadWorkspace, type Workspace } from './workspace.js';
