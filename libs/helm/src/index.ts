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
export { templateRequestOf, type HelmApplication, type HelmSourceResolution } from './argocd.js';
