export {
  KubeconformUnavailableError,
  runKubeconform,
  toolchainSettings,
  type KubeconformSettings,
  type ResourceVerdict,
} from './kubeconform.js';
