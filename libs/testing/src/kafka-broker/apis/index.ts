import type { ApiDefinition } from '../api';
import { apiVersions } from './api-versions';
import { createTopics } from './create-topics';
import { fetch } from './fetch';
import { findCoordinator } from './find-coordinator';
import { heartbeat, joinGroup, leaveGroup, syncGroup } from './group-membership';
import { offsetCommit, offsetFetch } from './group-offsets';
import { initProducerId } from './init-producer-id';
import { listOffsets } from './list-offsets';
import { metadata } from './metadata';
import { produce } from './produce';

/**
 * Every API the broker speaks, with the versions it speaks; ApiVersions advertises exactly this
 * list, so kafkajs 2.2.4 picks these versions. All are non-flexible (no compact or tagged fields).
 */
export const SUPPORTED_APIS: readonly ApiDefinition[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  apiVersions,
  createTopics,
  initProducerId,
];

export { apiVersionsResponse } from './api-versions';
