import { Body, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentCaller } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import { parseRequest } from '../common/parse-request';
import { CostEstimator } from './cost-estimator';
import { CostSummaryRepository } from './cost-summary.repository';
import { CostSummaryQuerySchema, EstimateBodySchema, UnpricedQuerySchema } from './dto/costs.dto';
import type { CostEstimateDto, CostSummaryDto, UnpricedUsageDto } from './dto/costs.dto';

@Controller('api/v1/costs')
@UseGuards(ApiKeyGuard)
export class CostsController {
  constructor(
    private readonly summaries: CostSummaryRepository,
    private readonly estimator: CostEstimator,
  ) {}

  @Get('summary')
  summary(@CurrentCaller() caller: Caller, @Query() raw: Record<string, unknown>): Promise<CostSummaryDto> {
    return this.summaries.summary(caller.tenantId, parseRequest(CostSummaryQuerySchema, raw, 'query'));
  }

  /** The report of unpriced usage: calls recorded without a price, by model. */
  @Get('unpriced')
  async unpriced(@CurrentCaller() caller: Caller, @Query() raw: Record<string, unknown>): Promise<{ object: 'list'; data: UnpricedUsageDto[] }> {
    const query = parseRequest(UnpricedQuerySchema, raw, 'query');
    return { object: 'list', data: await this.summaries.unpriced(caller.tenantId, query.from, query.to) };
  }

  @Post('estimate')
  @HttpCode(200)
  estimate(@CurrentCaller() caller: Caller, @Body() raw: unknown): Promise<CostEstimateDto> {
    return this.estimator.estimate(caller.tenantId, parseRequest(EstimateBodySchema, raw, 'body'));
  }
}
