import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import type { CostLogPageDto } from '@tollgate/contracts';
import { ApiKeyGuard, CurrentCaller } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import { parseRequest } from '../common/parse-request';
import { ListCostLogsQuerySchema } from './dto/list-cost-logs.query';
import { CostLogsRepository } from './cost-logs.repository';

@Controller('api/v1/cost-logs')
@UseGuards(ApiKeyGuard)
export class CostLogsController {
  constructor(private readonly logs: CostLogsRepository) {}

  @Get()
  async list(@CurrentCaller() caller: Caller, @Query() raw: Record<string, unknown>): Promise<CostLogPageDto> {
    return this.logs.list(caller.tenantId, parseRequest(ListCostLogsQuerySchema, raw, 'query'));
  }
}
