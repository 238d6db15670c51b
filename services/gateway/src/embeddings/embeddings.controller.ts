import { Body, Controller, Headers, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiKeyGuard, CurrentCaller } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import { attributionFrom } from '../chat/attribution';
import { parseOpenAiBody } from '../chat/dto/chat-completion.request';
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
    const request = parseOpenAiBody(EmbeddingsRequestSchema, body);
    const { response, callId, headers: budgetHeaders } = await this.embeddings.embed({ caller, request, requestId: String(headers['x-request-id']), attribution: attributionFrom(headers) });
    res.setHeader('x-tollgate-call-id', callId);
    res.set(budgetHeaders);
    return response;
  }
}
