import { Controller, Module } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { GovernanceApiKeySnapshotV1 } from '@tollgate/contracts';
import type { EventOf } from '@tollgate/contracts';
import { ConsumeEvent } from '@tollgate/messaging';
import { ReadinessRegistry } from '../health/readiness.registry';
import { ApiKeyDirectory } from './api-key.directory';
import { ApiKeyGuard } from './api-key.guard';

@Controller()
export class ApiKeySnapshotConsumer implements OnModuleInit {
  constructor(
    private readonly directory: ApiKeyDirectory,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    // Not ready until at least one tenant's keys are known: before that every call would be a 401.
    this.readiness.register('api-keys', () => {
      if (!this.directory.loaded) throw new Error('no API key snapshot received yet');
    });
  }

  @ConsumeEvent(GovernanceApiKeySnapshotV1, { group: 'apikey-directory' })
  apply(snapshot: EventOf<typeof GovernanceApiKeySnapshotV1>): void {
    this.directory.apply(snapshot);
  }
}

/** Authentication for any service that serves tenants; one directory per process. */
@Module({
  controllers: [ApiKeySnapshotConsumer],
  providers: [ApiKeyDirectory, ApiKeyGuard],
  exports: [ApiKeyDirectory, ApiKeyGuard],
})
export class ApiKeyDirectoryModule {}
