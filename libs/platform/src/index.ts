export { clustersDir, loadPlatform, pinsFile, type LoadedCluster, type Platform, type PlatformResult } from './load.js';
export {
  externalSecretsOf,
  imageReference,
  type Cluster,
  type ClusterNetwork,
  type ContainerResources,
  type ImagePin,
  type PeerSelector,
  type Pins,
  type PortSpec,
  type QuotaLimits,
  type VaultSettings,
} from './types.js';
