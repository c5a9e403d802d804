export {
  KubeconformUnavailableError,
  argumentChunks,
  checkInstalled,
  kubeconformFlags,
  workersFor,
  runKubeconform,
  toolchainSettings,
  verdictFlags,
  type KubeconformSettings,
  type RunOptions,
  type ResourceVerdict,
} from './kubeconform.js';
export { openVerdictCache, toolchainKey, type VerdictCache } from './verdict-cache.js';
