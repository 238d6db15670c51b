import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import type { ProviderRegistry } from '@tollgate/providers';
import { ApiKeyGuard } from '@tollgate/platform';
import { PROVIDER_REGISTRY } from '../providers/gateway-providers';

interface ModelList {
  object: 'list';
  data: Array<{ id: string; object: 'model'; created: number; owned_by: string }>;
}

/** OpenAI's `GET /v1/models`: the `provider/model` names this gateway serves. */
@Controller('v1/models')
@UseGuards(ApiKeyGuard)
export class ModelsController {
  constructor(@Inject(PROVIDER_REGISTRY) private readonly providers: ProviderRegistry) {}

  @Get()
  list(): ModelList {
    return {
      object: 'list',
      data: this.providers.qualifiedModels().map((id) => ({ id, object: 'model', created: 0, owned_by: id.split('/')[0] })),
    };
  }
}
