import { Body, Controller, Headers, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiKeyGuard, CurrentCaller, OpenAiHttpError } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import { ChatCompletionRequestSchema, paramPath } from './dto/chat-completion.request';
import { ChatCompletionsService } from './chat-completions.service';
import { SseWriter } from './sse';
import { attributionFrom } from './attribution';

@Controller('v1/chat/completions')
@UseGuards(ApiKeyGuard)
export class ChatCompletionsController {
  constructor(private readonly chat: ChatCompletionsService) {}

  @Post()
  async create(
    @CurrentCaller() caller: Caller,
    @Body() body: unknown,
    @Headers() headers: Record<string, string | string[] | undefined>,
    @Res() res: Response,
  ): Promise<void> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw OpenAiHttpError.invalidRequest('The request body must be a JSON object sent with Content-Type: application/json.', null, 'invalid_body');
    }
    const parsed = ChatCompletionRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = paramPath(issue.path);
      throw OpenAiHttpError.invalidRequest(`${param ? `${param}: ` : ''}${issue.message}`, param || null, issue.code === 'invalid_type' ? 'invalid_type' : 'invalid_value');
    }
    const call = { caller, request: parsed.data, requestId: String(headers['x-request-id']), attribution: attributionFrom(headers) };
    const plan = this.chat.plan(call);
    // A client that hangs up stops the upstream call: nobody would read the answer it pays for.
    const clientGone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) clientGone.abort(new Error('the client closed the connection'));
    });
    if (parsed.data.stream) {
      await this.chat.stream(call, plan, new SseWriter(res), clientGone.signal);
      return;
    }
    const { response, callId, headers: budgetHeaders } = await this.chat.complete(call, plan, clientGone.signal);
    res.setHeader('x-tollgate-call-id', callId);
    res.set(budgetHeaders);
    res.status(200).json(response);
  }
}
