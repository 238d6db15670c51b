import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { SimilarityConfig } from './config/similarity.config';

/**
 * Similarity: prompt embeddings, cosine similarity and abuse detection from `llm.call` events.
 * Its features arrive with its own issue; until then the service runs, reports health and stops
 * cleanly, and owns no schema yet (it adds `PersistenceModule.forService` with schema `similarity`).
 */
@Module({})
export class SimilarityModule {
  static register(_config: SimilarityConfig): DynamicModule {
    return { module: SimilarityModule };
  }
}
