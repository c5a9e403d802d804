import type { RiskRule } from '../risk.js';
import { namespaceDeleted, protectedNamespaceRemoved } from './deletion.js';
import { appProjectWidened, clusterScopedChanged, rbacWidened } from './scope.js';
import { vaultAccessChanged } from './vault.js';
import { flyteRestarts, quotaRaised } from './workload.js';

/** Every risk rule, in the order risks are reported. */
export const riskRules: readonly RiskRule[] = [
  protectedNamespaceRemoved,
  namespaceDeleted,
  rbacWidened,
  appProjectWidened,
  clusterScopedChanged,
  vaultAccessChanged,
  quotaRaised,
  flyteRestarts,
];
