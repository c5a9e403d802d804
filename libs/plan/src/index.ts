export {
  compareChanges,
  diffObjects,
  diffValues,
  fieldPath,
  type Action,
  type Change,
  type FieldChange,
} from './diff.js';
export {
  formatHuman,
  formatJson,
  formatMarkdown,
  formatPlan,
  planFormats,
  type Plan,
  type PlanFormat,
} from './format.js';
export {
  groupOf,
  isVaultFile,
  keyOf,
  objectsOfManifest,
  objectsOfVaultFile,
  planObjects,
  projectOfPath,
  sourcesOfHeader,
  type FileOrigin,
  type PlanObject,
} from './model.js';
export { type Review, type Reviews } from './review.js';
export { runRisks, type Risk, type RiskContext, type RiskFinding, type RiskRule, type Severity } from './risk.js';
export { domainOf, isProtected } from './rules/deletion.js';
export { riskRules } from './rules/index.js';
