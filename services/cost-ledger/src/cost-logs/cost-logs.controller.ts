import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import type { CostLogPageDto } from '@tollgate/contracts';
import { ApiKeyGuard, CurrentCaller, OpenAiHttpError } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import { ListCostLogsQuerySchema } from './dto/list-cost-logs.query';
import { CostLogsRepository } from './cost-logs.repository';

@Controller('api/v1/cost-logs')
@UseGuards(ApiKeyGuard)
export class CostLogsController {
  constructor(private readonly logs: CostLogsRepository) {}

  @Get()
  async list(@CurrentCaller() caller: Caller, @Query() raw: Record<string, unknown>): Promise<CostLogPageDto> {
    const parsed = ListCostLogsQuerySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : String(issue.path[0] ?? '');
      throw OpenAiHttpError.invalidRequest(issue.code === 'unrecognized_keys' ? `Unknown query parameter(s): ${param}.` : `${param}: ${issue.message}`, param, 'invalid_query');
    }
    return this.logs.list(caller.tenantId, parsed.data);
  }
}
