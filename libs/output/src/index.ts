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
  type StagingOptions,
  type WriteSession,
} from './atomic.js';
export { compareTrees, readTree, unifiedDiff, type Tree } from './tree.js';
export type { StagedUnit } from './units.js';
export { codeOf, WriteFault, type WriteOutcome, type WriteStep } from './write-fault.js';
export { writeAside, writeFileAtomically, type WrittenAside } from './write-file.js';
