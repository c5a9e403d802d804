import { describe, expect, it } from 'vitest';
import { toolTimeoutMs } from '@flyte-gkp/diagnostics';

describe('the time limit of the external tools', () => {
  it('comes from FLYTE_GKP_TOOL_TIMEOUT_SECONDS, 300 s by default, and refuses a value that is no duration', () => {
    expect(toolTimeoutMs({})).toBe(300_000);
    expect(toolTimeoutMs({ FLYTE_GKP_TOOL_TIMEOUT_SECONDS: '2.5' })).toBe(2500);
    expect(() => toolTimeoutMs({ FLYTE_GKP_TOOL_TIMEOUT_SECONDS: 'soon' })).toThrow(
      'FLYTE_GKP_TOOL_TIMEOUT_SECONDS=soon is not a number of seconds above 0',
    );
    expect(() => toolTimeoutMs({ FLYTE_GKP_TOOL_TIMEOUT_SECONDS: '0' })).toThrow('is not a number of seconds above 0');
  });
});
