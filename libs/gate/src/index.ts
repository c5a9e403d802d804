export { renderWorkspace, runGate, type GateOptions, type GateResult, type RenderResult } from './gate.js';
export { loadWorkspace, type Workspace } from './workspace.js';
