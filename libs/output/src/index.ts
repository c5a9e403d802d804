export { commitStagedFolder, discardStagedFolder, recoverInterruptedWrite, stageFolder, stagingFolder } from './atomic.js';
export { compareTrees, readTree, unifiedDiff, type Tree } from './tree.js';
