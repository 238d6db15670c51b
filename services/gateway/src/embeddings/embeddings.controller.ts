import { Body, Controller, Headers, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiKeyGuard, CurrentCaller, OpenAiHttpError } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import { attributionFrom } from '../chat/attribution';
import { paramPath } from '../chat/dto/chat-completion.request';
import { EmbeddingsRequestSchema } from './dto/embeddings.request';
import type { EmbeddingsResponse } from './dto/embeddings.request';
import { EmbeddingsService } from './embeddings.service';

@Controller('v1/embeddings')
@UseGuards(ApiKeyGuard)
export class EmbeddingsController {
  constructor(private readonly embeddings: EmbeddingsService) {}

  @Post()
  @HttpCode(200)
  async create(
    @CurrentCaller() caller: Caller,
    @Body() body: unknown,
    @Headers() headers: Record<string, string | string[] | undefined>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<EmbeddingsResponse> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw OpenAiHttpError.invalidRequest('The request body must be a JSON object sent with Content-Type: application/json.', null, 'invalid_body');
    }
    const parsed = EmbeddingsRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = paramPath(issue.path);
      throw OpenAiHttpError.invalidRequest(`${param ? `${param}: ` : ''}${issue.message}`, param || null, issue.code === 'invalid_type' ? 'invalid_type' : 'invalid_value');
    }
    const { response, callId, headers: budgetHeaders } = await this.embeddings.embed({ caller, request: parsed.data, requestId: String(headers['x-request-id']), attribution: attributionFrom(headers) });
    res.setHeader('x-tollgate-call-id', callId);
    res.set(budgetHeaders);
    return response;
  }
}
