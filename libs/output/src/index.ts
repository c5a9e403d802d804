export { commitStaged, discardStaged, prepareStaging, recoverInterruptedWrite, writeStaged, type StagedFolder } from './atomic.js';
export { compareTrees, listTree, readFiles, readTree, unifiedDiff, type Tree } from './tree.js';
export { writeFileAtomically } from './write-file.js';
