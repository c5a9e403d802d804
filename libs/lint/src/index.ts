export { runRules, type Finding, type LintContext, type LintRule } from './rule.js';
export { rules } from './rules/index.js';
export { parseQuantity } from './rules/quota.js';
