import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentCaller } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import { Router } from '../routing';

interface ModelList {
  object: 'list';
  data: Array<{ id: string; object: 'model'; created: number; owned_by: string }>;
}

/** OpenAI's `GET /v1/models`: the models and aliases THIS key may use (region and plan applied). */
@Controller('v1/models')
@UseGuards(ApiKeyGuard)
export class ModelsController {
  constructor(private readonly router: Router) {}

  @Get()
  list(@CurrentCaller() caller: Caller): ModelList {
    return {
      object: 'list',
      data: this.router.modelsFor(caller).map((id) => ({ id, object: 'model', created: 0, owned_by: id.includes('/') ? id.split('/')[0] : 'tollgate' })),
    };
  }
}
