import { Body, Controller, Get, HttpCode, Post, Put, Query, UseGuards } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ulid } from 'ulid';
import { InjectDataSource } from '@tollgate/persistence';
import { ApiKeyGuard, CurrentCaller } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import { parseRequest } from '../common/parse-request';
import { GetPricingQuerySchema, PutPricingBodySchema, RepriceBodySchema, toPriceDto, toRepriceJobDto } from './dto/pricing.dto';
import type { PriceDto, RepriceJobDto } from './dto/pricing.dto';
import { RepriceJob } from './entities/reprice-job.entity';
import { TenantPrice } from './entities/tenant-price.entity';
import { PriceBook, tenantPriceToModelPrice } from './price-book';
import { RepricingService } from './repricing.service';

/** The prices the caller's tenant is billed at: the default catalog with its custom prices on top. */
@Controller('api/v1/pricing')
@UseGuards(ApiKeyGuard)
export class PricingController {
  constructor(
    @InjectDataSource('cost-ledger') private readonly dataSource: DataSource,
    private readonly prices: PriceBook,
    private readonly repricing: RepricingService,
  ) {}

  @Get()
  async list(@CurrentCaller() caller: Caller, @Query() raw: Record<string, unknown>): Promise<{ object: 'list'; catalog_version: string; data: PriceDto[] }> {
    const query = parseRequest(GetPricingQuerySchema, raw, 'query');
    const catalog = await this.prices.catalogFor(caller.tenantId);
    const entries = query.history ? catalog.entries() : catalog.inEffect(query.at ? new Date(query.at) : new Date());
    const data = entries
      .filter((p) => (!query.provider || p.provider === query.provider) && (!query.model || p.model === query.model))
      .map(toPriceDto)
      .sort((a, b) => a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model) || a.effective_from.localeCompare(b.effective_from) || a.origin.localeCompare(b.origin));
    return { object: 'list', catalog_version: this.prices.defaults.version, data };
  }

  /**
   * Adds custom prices (never overwrites: the history is kept, the entry in effect at a call's
   * time prices it). With `reprice`, re-prices this tenant's calls of those models in the range.
   */
  @Put()
  @HttpCode(200)
  async put(@CurrentCaller() caller: Caller, @Body() raw: unknown): Promise<{ object: 'list'; data: PriceDto[]; reprice_jobs: RepriceJobDto[] }> {
    const body = parseRequest(PutPricingBodySchema, raw, 'body');
    const now = new Date();
    const rows = body.prices.map((p) =>
      Object.assign(new TenantPrice(), {
        id: `tp_${ulid()}`,
        tenantId: caller.tenantId,
        provider: p.provider,
        model: p.model,
        effectiveFrom: p.effective_from ? new Date(p.effective_from) : now,
        input: p.input_per_mtok,
        output: p.output_per_mtok,
        cachedRead: p.cached_read_per_mtok,
        cacheWrite: p.cache_write_per_mtok,
        reasoning: p.reasoning_per_mtok,
        batchInput: p.batch_input_per_mtok,
        batchOutput: p.batch_output_per_mtok,
        contextWindow: p.context_window,
        maxOutputTokens: p.max_output_tokens,
        note: p.note,
      }),
    );
    const saved = await this.dataSource.getRepository(TenantPrice).save(rows);
    const jobs: RepriceJob[] = [];
    if (body.reprice) {
      const models = new Map(body.prices.map((p) => [`${p.provider}\u0000${p.model}`, p]));
      for (const p of models.values()) {
        jobs.push(await this.repricing.reprice({ tenantId: caller.tenantId, provider: p.provider, model: p.model, from: new Date(body.reprice.from), to: new Date(body.reprice.to) }));
      }
    }
    return { object: 'list', data: saved.map((row) => toPriceDto(tenantPriceToModelPrice(row))), reprice_jobs: jobs.map(toRepriceJobDto) };
  }

  /** Re-prices this tenant's calls in a range with the prices in effect for their dates; the same request twice is one job. */
  @Post('reprice')
  @HttpCode(200)
  async reprice(@CurrentCaller() caller: Caller, @Body() raw: unknown): Promise<RepriceJobDto> {
    const body = parseRequest(RepriceBodySchema, raw, 'body');
    const job = await this.repricing.reprice({ tenantId: caller.tenantId, from: new Date(body.from), to: new Date(body.to), provider: body.provider, model: body.model });
    return toRepriceJobDto(job);
  }

  @Get('reprice-jobs')
  async jobs(@CurrentCaller() caller: Caller): Promise<{ object: 'list'; data: RepriceJobDto[] }> {
    const jobs = await this.dataSource.getRepository(RepriceJob).find({ where: { tenantId: caller.tenantId }, order: { requestedAt: 'DESC' }, take: 100 });
    return { object: 'list', data: jobs.map(toRepriceJobDto) };
  }
}
