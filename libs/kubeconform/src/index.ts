export {
  KubeconformUnavailableError,
  checkInstalled,
  runKubeconform,
  toolchainSettings,
  verdictFlags,
  type KubeconformSettings,
  type ResourceVerdict,
} from './kubeconform.js';
export { openVerdictCache, type VerdictCache } from './verdict-cache.js';
