import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { sendJson } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import { attributionFrom } from './attribution';
import { ChatCompletionsService } from './chat-completions.service';
import { parseChatCompletionRequest } from './dto/chat-completion.request';
import { SseWriter } from './sse';

/**
 * `POST /v1/chat/completions` for an authenticated caller and a parsed body, answered on the raw
 * response (JSON or SSE). Served by the fast path (chat-completions.fast-path.ts) and, for the
 * requests it leaves to Express (compressed bodies, other content types), by the Nest controller.
 */
@Injectable()
export class ChatCompletionsEndpoint {
  constructor(private readonly chat: ChatCompletionsService) {}

  async serve(caller: Caller, body: unknown, headers: IncomingHttpHeaders, res: ServerResponse): Promise<void> {
    const request = parseChatCompletionRequest(body);
    const call = { caller, request, requestId: String(headers['x-request-id']), attribution: attributionFrom(headers) };
    const plan = this.chat.plan(call);
    // A client that hangs up stops the upstream call: nobody would read the answer it pays for.
    const clientGone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) clientGone.abort(new Error('the client closed the connection'));
    });
    if (request.stream) {
      await this.chat.stream(call, plan, new SseWriter(res), clientGone.signal);
      return;
    }
    const { response, callId, headers: budgetHeaders } = await this.chat.complete(call, plan, clientGone.signal);
    res.setHeader('x-tollgate-call-id', callId);
    for (const [name, value] of Object.entries(budgetHeaders)) res.setHeader(name, value);
    sendJson(res, 200, response);
  }
}
