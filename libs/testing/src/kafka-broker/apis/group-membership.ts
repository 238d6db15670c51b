// The consumer-group membership APIs; the state machine itself is in group-coordinator.ts.
import type { ApiDefinition } from '../api';
import { ApiKey } from '../protocol';
import { WireWriter } from '../wire';

/**
 * JoinGroup v3 => group_id session_timeout_ms rebalance_timeout_ms member_id protocol_type
 *   [protocols: name metadata]
 * Response => throttle_time_ms error_code generation_id protocol_name leader member_id
 *   [members: member_id metadata]
 * Blocks until the rebalance completes (every member re-joined, or the rebalance timeout passed).
 */
export const joinGroup: ApiDefinition = {
  key: ApiKey.JoinGroup,
  name: 'JoinGroup',
  minVersion: 3,
  maxVersion: 3,
  async handle(request, { broker, clientId, connectionId }) {
    const result = await broker.groups.join({
      groupId: request.string(),
      sessionTimeoutMs: request.int32(),
      rebalanceTimeoutMs: request.int32(),
      memberId: request.string(),
      protocolType: request.string(),
      protocols: request.array((reader) => ({ name: reader.string(), metadata: Buffer.from(reader.bytes()) })),
      clientId,
      connectionId,
    });
    return new WireWriter()
      .int32(0)
      .int16(result.errorCode)
      .int32(result.generationId)
      .string(result.protocolName)
      .string(result.leaderId)
      .string(result.memberId)
      .array(result.members, (writer, member) => writer.string(member.memberId).bytes(member.metadata));
  },
};

/**
 * SyncGroup v1 => group_id generation_id member_id [assignments: member_id assignment]
 * Response => throttle_time_ms error_code assignment
 * Followers wait here until the leader's SyncGroup brings everyone's assignment.
 */
export const syncGroup: ApiDefinition = {
  key: ApiKey.SyncGroup,
  name: 'SyncGroup',
  minVersion: 1,
  maxVersion: 1,
  async handle(request, { broker, connectionId }) {
    const result = await broker.groups.sync({
      groupId: request.string(),
      generationId: request.int32(),
      memberId: request.string(),
      assignments: request.array((reader) => ({ memberId: reader.string(), assignment: Buffer.from(reader.bytes()) })),
      connectionId,
    });
    return new WireWriter().int32(0).int16(result.errorCode).bytes(result.assignment);
  },
};

/** Heartbeat v1 => group_id generation_id member_id; Response => throttle_time_ms error_code */
export const heartbeat: ApiDefinition = {
  key: ApiKey.Heartbeat,
  name: 'Heartbeat',
  minVersion: 1,
  maxVersion: 1,
  handle(request, { broker }) {
    const errorCode = broker.groups.heartbeat(request.string(), request.int32(), request.string());
    return new WireWriter().int32(0).int16(errorCode);
  },
};

/** LeaveGroup v1 => group_id member_id; Response => throttle_time_ms error_code */
export const leaveGroup: ApiDefinition = {
  key: ApiKey.LeaveGroup,
  name: 'LeaveGroup',
  minVersion: 1,
  maxVersion: 1,
  handle(request, { broker }) {
    const errorCode = broker.groups.leave(request.string(), request.string());
    return new WireWriter().int32(0).int16(errorCode);
  },
};
