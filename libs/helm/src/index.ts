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
export { chartSourceOf, templateRequestOf, type HelmApplication, type HelmSource, type HelmSourceResolution } from './argocd.js';
