export { renderCommand, renderWorkspace, runGate, type GateOptions, type GateResult, type RenderResult } from './gate.js';
export { listSpecFiles, loadWorkspace, projectsDir, type Workspace } from './workspace.js';
