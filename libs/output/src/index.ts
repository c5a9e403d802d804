export {
  acquireWrite,
  commitStaged,
  discardStaged,
  ForeignStateError,
  prepareStaging,
  RenderBusyError,
  stateDirName,
  writeStaged,
  type CommitSteps,
  type StagedFolder,
  type WriteSession,
} from './atomic.js';
export { compareTrees, readTree, unifiedDiff, type Tree } from './tree.js';
export { writeFileAtomically } from './write-file.js';
