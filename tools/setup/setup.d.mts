// Types for setup.mjs (plain JavaScript so that it runs before `npm ci`), for the TypeScript tests.
export interface Toolchain {
  kubeconform: { module: string; version: string };
  kubernetesValidate: Record<string, string>;
  argoCd: { version: string; crdsDir: string };
}
export class SetupError extends Error {}
export const defaultRepoRoot: string;
export function readToolchain(root?: string): Toolchain;
export function ensureNodeModules(root?: string): string;
export function ensureKubeconform(root?: string, toolchain?: Toolchain): string;
export function clusterKubernetesVersions(root?: string, clustersDir?: string): { file: string; version: string }[];
export function kubernetesValidatePin(toolchain: Toolchain, kubernetesVersion: string): string;
export function ensureKubernetesSchemas(root?: string, toolchain?: Toolchain, clustersDir?: string): string[];
export function installKubernetesSchemas(root: string, version: string, archive: string, stamp: string): void;
export function resolveCrdsDir(root: string, toolchain: Toolchain, env?: Record<string, string | undefined>): string;
export function ensureArgoCdSchemas(root?: string, toolchain?: Toolchain, env?: Record<string, string | undefined>): Promise<string>;
export function main(root?: string): Promise<number>;
