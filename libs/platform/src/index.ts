export { clustersDir, loadPlatform, pinsFile, type LoadedCluster, type Platform, type PlatformResult } from './load.js';
export { imageReference, type Cluster, type ImagePin, type Pins, type QuotaLimits } from './types.js';
