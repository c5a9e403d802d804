export {
  chartFolder,
  checkInstalled,
  helmSettings,
  HelmUnavailableError,
  parseTemplateOutput,
  type ChartObject,
  type HelmSettings,
} from './helm.js';
