import type { LintRule } from '../rule.js';
import { chartSource, flyteadminVersion, kubernetesVersion, pythonClients } from './compat.js';
import { domainsAllowed } from './domains.js';
import { imagesPinned } from './images.js';
import {
  clusterConvention,
  fileNamedAfterId,
  flyteProjectText,
  idNotReserved,
  namespaceIsDnsLabel,
  uniqueNames,
} from './naming.js';
import { narrowCidr, peerNamespace } from './network.js';
import { vaultScope } from './secrets.js';
import { quotaCeiling, quotaNoExposedServices, quotaReachable } from './quota.js';
import {
  applicationProject,
  noPlaintextSecret,
  ownerGroupIsTenant,
  ownerGroupNaming,
  tenantScope,
  uniqueBucket,
  uniqueSecretName,
} from './tenancy.js';

/** Every rule, in the order findings are reported. */
export const rules: readonly LintRule[] = [
  namespaceIsDnsLabel,
  fileNamedAfterId,
  uniqueNames,
  idNotReserved,
  clusterConvention,
  flyteProjectText,
  domainsAllowed,
  imagesPinned,
  flyteadminVersion,
  kubernetesVersion,
  pythonClients,
  chartSource,
  uniqueBucket,
  uniqueSecretName,
  ownerGroupIsTenant,
  ownerGroupNaming,
  tenantScope,
  applicationProject,
  noPlaintextSecret,
  vaultScope,
  quotaCeiling,
  quotaNoExposedServices,
  quotaReachable,
  narrowCidr,
  peerNamespace,
];
