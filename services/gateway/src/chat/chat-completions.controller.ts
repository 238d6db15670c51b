import { Body, Controller, Headers, Post, Res, UseGuards } from '@nestjs/common';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { ApiKeyGuard, CurrentCaller } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import { ChatCompletionsEndpoint } from './chat-completions.endpoint';

/**
 * The framework route of `POST /v1/chat/completions`: it serves what the fast path leaves to
 * Express (compressed bodies, other content types), after body-parser and the key guard.
 */
@Controller('v1/chat/completions')
@UseGuards(ApiKeyGuard)
export class ChatCompletionsController {
  constructor(private readonly endpoint: ChatCompletionsEndpoint) {}

  @Post()
  create(@CurrentCaller() caller: Caller, @Body() body: unknown, @Headers() headers: IncomingHttpHeaders, @Res() res: ServerResponse): Promise<void> {
    return this.endpoint.serve(caller, body, headers, res);
  }
}
