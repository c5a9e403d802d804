export {
  runRules,
  runRulesOnAccepted,
  type Finding,
  type LintContext,
  type LintRule,
  type PartialSpec,
} from './rule.js';
export { rules } from './rules/index.js';
export { compareQuantities, fits, largestQuantity, parseQuantity, type Quantity } from './rules/quota.js';
