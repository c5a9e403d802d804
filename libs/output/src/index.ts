export { recoverInterruptedWrite, replaceFolderAtomically } from './atomic.js';
export { compareTrees, readTree, unifiedDiff, type Tree, type TreeDifference } from './tree.js';
