/**
 * How long an external tool (kubeconform, helm, kustomize) may run: FLYTE_GKP_TOOL_TIMEOUT_SECONDS,
 * 300 s unless set.
 */
export const toolTimeoutVariable = 'FLYTE_GKP_TOOL_TIMEOUT_SECONDS';
const defaultToolTimeoutSeconds = 300;

export function toolTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[toolTimeoutVariable];
  if (text === undefined || text === '') return defaultToolTimeoutSeconds * 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new Error(`${toolTimeoutVariable}=${text} is not a number of seconds above 0`);
  return seconds * 1000;
}
