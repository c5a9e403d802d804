export {
  planWorkspace,
  renderWorkspace,
  runGate,
  type GateOptions,
  type GateResult,
  type PlanResult,
  type RenderResult,
} from './gate.js';
export { gitTree, resolveCommit, RevisionError, type GitRepoTree } from './git-tree.js';
export {
  diskTree,
  treeFolders,
  treeSource,
  type EntryType,
  type RepoTree,
  type TreeEntry,
  type TreeReader,
} from './read-tree.js';
export { listSpecFiles, loadSpecs, loadWorkspace, renderClusters, type Loaded, type Workspace } from './workspace.js';
export { clusterScopedExceptions, clusterScopedTable, schemaExceptions } from './chart-exceptions.js';
export { checkChart, type ChartCheck } from './chart-stage.js';
export { clusterToolchainSettings } from './kubeconform-stage.js';
