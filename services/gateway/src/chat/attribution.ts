import { OpenAiHttpError } from '@tollgate/platform';
import type { CallAttribution } from '../calls/llm-call.event';

const ATTRIBUTION_HEADERS = {
  agentId: 'x-tollgate-agent-id',
  workflowId: 'x-tollgate-workflow-id',
  nodeId: 'x-tollgate-node-id',
  sessionId: 'x-tollgate-session-id',
} as const;

/** Attribution headers a client may send with any call; carried into `llm.call`. */
export function attributionFrom(headers: Record<string, string | string[] | undefined>): CallAttribution {
  const read = (name: string): string | null => {
    const value = headers[name];
    if (value === undefined) return null;
    const text = Array.isArray(value) ? value.join(',') : value;
    if (text.length === 0 || text.length > 256) throw OpenAiHttpError.invalidRequest(`Header ${name} must be 1 to 256 characters.`, name, 'invalid_header');
    return text;
  };
  return {
    agentId: read(ATTRIBUTION_HEADERS.agentId),
    workflowId: read(ATTRIBUTION_HEADERS.workflowId),
    nodeId: read(ATTRIBUTION_HEADERS.nodeId),
    sessionId: read(ATTRIBUTION_HEADERS.sessionId),
  };
}

