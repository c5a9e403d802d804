export {
  chartFolder,
  checkInstalled,
  helmSettings,
  helmTemplate,
  HelmTemplateError,
  HelmUnavailableError,
  parseTemplateOutput,
  templateArguments,
  type ChartObject,
  type HelmSettings,
  type TemplateRequest,
} from './helm.js';
