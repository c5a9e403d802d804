export {
  buildArguments,
  KustomizeBuildError,
  kustomizeSettings,
  KustomizeUnavailableError,
  type Build,
  type BuildRequest,
  type BuiltObject,
  type HelmChartInflation,
  type ImageOverride,
  type Kustomization,
  type KustomizeSettings,
  type TargetedPatch,
} from './kustomize.js';
export { buildChartFolder, inflatedChart, type ChartBuild, type ChartBuildRequest } from './chart-build.js';
