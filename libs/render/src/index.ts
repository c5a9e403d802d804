export { clusterPaths, tenantKinds, type AppProject, type Application } from './argocd.js';
export {
  credentialFields,
  vaultFileAt,
  vaultNames,
  vaultServiceAccount,
  type VaultFileKind,
  type VaultNames,
} from './credentials.js';
export {
  labels,
  namespaceName,
  platformAppProjectName,
  projectDomains,
  projectOnCluster,
  tenantAppProjectName,
  type ProjectDomain,
} from './names.js';
export { codeownersPath, platformTeams, projectReviewers, renderCodeowners } from './codeowners.js';
export { renderCluster, type ProjectInput, type RenderedFile, type RenderOptions } from './render.js';
export { SerializationMemo, serializerId } from './serialize.js';
export { flyteServiceAccounts, syncOptions } from './tenant.js';
export { chartImageOverrides, type ChartImageOverride } from './platform-kustomization.js';
export { registrationName, registrationProjectsFile, type RegisteredProject } from './project-registration.js';
