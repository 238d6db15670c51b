import { Body, Controller, Headers, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiKeyGuard, CurrentCaller, OpenAiHttpError } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import { ChatCompletionRequestSchema, paramPath } from './dto/chat-completion.request';
import type { ChatCompletionResponse } from './dto/chat-completion.response';
import { ChatCompletionsService } from './chat-completions.service';
import type { CallAttribution } from './chat-completions.service';

const ATTRIBUTION_HEADERS = {
  agentId: 'x-tollgate-agent-id',
  workflowId: 'x-tollgate-workflow-id',
  nodeId: 'x-tollgate-node-id',
  sessionId: 'x-tollgate-session-id',
} as const;

function attributionFrom(headers: Record<string, string | string[] | undefined>): CallAttribution {
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

@Controller('v1/chat/completions')
@UseGuards(ApiKeyGuard)
export class ChatCompletionsController {
  constructor(private readonly chat: ChatCompletionsService) {}

  @Post()
  @HttpCode(200)
  async create(
    @CurrentCaller() caller: Caller,
    @Body() body: unknown,
    @Headers() headers: Record<string, string | string[] | undefined>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ChatCompletionResponse> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw OpenAiHttpError.invalidRequest('The request body must be a JSON object sent with Content-Type: application/json.', null, 'invalid_body');
    }
    const parsed = ChatCompletionRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = paramPath(issue.path);
      throw OpenAiHttpError.invalidRequest(`${param ? `${param}: ` : ''}${issue.message}`, param || null, issue.code === 'invalid_type' ? 'invalid_type' : 'invalid_value');
    }
    if (parsed.data.stream) {
      throw OpenAiHttpError.invalidRequest('Streaming (stream: true) is not available on this Tollgate version yet; send stream: false.', 'stream', 'unsupported_parameter');
    }
    const requestId = String(headers['x-request-id']);
    const { response, callId } = await this.chat.complete({ caller, request: parsed.data, requestId, attribution: attributionFrom(headers) });
    res.setHeader('x-tollgate-call-id', callId);
    return response;
  }
}
