// Types for setup.mjs (plain JavaScript so that it runs before `npm ci`), for the TypeScript tests.
export interface GoTool {
  module: string;
  version: string;
}
export interface ChartPin {
  url: string;
  sha256: string;
}
export interface Toolchain {
  kubeconform: GoTool;
  helm: GoTool;
  kustomize: GoTool;
  cyclonus: GoTool;
  kubernetesValidate: Record<string, string>;
  argoCd: { version: string };
  flyteidl: { packages: string[] };
  externalSecrets: GoTool & { crds: string };
  flyteChart: Record<string, ChartPin>;
}
type Env = Record<string, string | undefined>;
export class SetupError extends Error {}
export const defaultRepoRoot: string;
export function readToolchain(root?: string): Toolchain;
export function ensureNodeModules(root?: string): string;
export function ensureGoTool(root: string, tool: GoTool): string;
export function goBinaryName(module: string): string;
export function clusterKubernetesVersions(root?: string, clustersDir?: string): { file: string; version: string }[];
export function kubernetesValidatePin(toolchain: Toolchain, kubernetesVersion: string): string;
export function ensureKubernetesSchemas(root?: string, toolchain?: Toolchain, clustersDir?: string): string[];
export function installKubernetesSchemas(root: string, version: string, archive: string, stamp: string): void;
export const flyteidlFolder: string;
export function ensureFlyteidl(root?: string, toolchain?: Toolchain): string;
export function argoCdModule(version: string): string;
export function argoCdCrdsFromGoModule(version: string, env?: Env): string;
export function ensureArgoCdSchemas(root?: string, toolchain?: Toolchain, env?: Env): Promise<string>;
export function goModuleDir(module: string, version: string, what: string, hint: string, env?: Env): string;
export function ensureExternalSecretsSchemas(root?: string, toolchain?: Toolchain, env?: Env): Promise<string>;
/** `.tools/charts/flyte-<version>` under root: the chart's folder (Chart.yaml directly inside), as helm reads it. */
export function flyteChartDir(root: string, version: string): string;
/** `.tools/charts/flyte-<version>.stamp`: JSON saying what the chart folder was installed from. */
export function flyteChartStamp(root: string, version: string): string;
export function clusterChartVersions(root?: string, clustersDir?: string): { file: string; version: string }[];
export function flyteChartPin(toolchain: Toolchain, version: string, file?: string): ChartPin;
export function ensureFlyteCharts(
  root?: string,
  toolchain?: Toolchain,
  env?: Env,
  clustersDir?: string,
): Promise<string[]>;
export function main(root?: string, options?: { forTests?: boolean }): Promise<number>;
