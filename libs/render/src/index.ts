export { clusterPaths, tenantNamespacedKinds, type AppProject, type Application } from './argocd.js';
export { mercurySecretKeys, rawOutputPrefix } from './client.js';
export { chartImage, escapeForHelmTpl, flyteValues } from './flyte-values.js';
export { labels, namespaceName, namespaceTemplate, projectDomains, projectOnCluster, tenantAppProjectName, tenantApplicationName, type ProjectDomain } from './names.js';
export { renderCluster, type ProjectInput, type RenderedFile } from './render.js';
export { flyteServiceAccounts, keepNamespace, syncOptions, workflowServiceAccount } from './tenant.js';
