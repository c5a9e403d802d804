export { runRules, type Finding, type LintContext, type LintRule } from './rule.js';
export { rules } from './rules/index.js';
export { compareQuantities, fits, largestQuantity, parseQuantity, type Quantity } from './rules/quota.js';
