// Consumer groups and their committed offsets: the classic (pre-KIP-848) group protocol of
// Kafka's GroupCoordinator, reduced to one node. States:
//   Empty -> PreparingRebalance (a member joins or leaves, or a session expires)
//         -> CompletingRebalance (every member re-joined, or the rebalance timeout passed: stragglers are dropped)
//         -> Stable (the leader's SyncGroup delivered the assignment)
// While a rebalance is being prepared, heartbeats answer REBALANCE_IN_PROGRESS so members re-join.
// Time only matters through `tick()`, which the broker calls on a short interval; tests can pass
// their own clock and call `tick()` themselves.
import { randomUUID } from 'node:crypto';

import { ErrorCode } from './protocol';
import type { ErrorCodeValue } from './protocol';

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  clientId: string;
  protocolType: string;
  protocols: GroupProtocol[];
  connectionId: number;
}

export interface JoinGroupResult {
  errorCode: ErrorCodeValue;
  generationId: number;
  protocolName: string;
  leaderId: string;
  memberId: string;
  /** Every member's metadata for the chosen protocol, for the leader only. */
  members: Array<{ memberId: string; metadata: Buffer }>;
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
  connectionId: number;
}

export interface SyncGroupResult {
  errorCode: ErrorCodeValue;
  assignment: Buffer;
}

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** -1 when the group has committed nothing for the partition. */
  offset: number;
  metadata: string | null;
}

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface GroupDescription {
  state: GroupState;
  generationId: number;
  memberIds: string[];
}

interface Member {
  id: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  lastSeen: number;
  assignment: Buffer;
  pendingJoin?: { connectionId: number; joinedAsNewMember: boolean; resolve: (result: JoinGroupResult) => void };
  pendingSync?: { connectionId: number; resolve: (result: SyncGroupResult) => void };
}

interface Group {
  id: string;
  state: GroupState;
  generationId: number;
  protocolName: string | null;
  leaderId: string | null;
  members: Map<string, Member>;
  /** When PreparingRebalance gives up on members that have not re-joined. */
  rebalanceDeadline: number | null;
  offsets: Map<string, { offset: number; metadata: string | null }>;
}

const EMPTY = Buffer.alloc(0);

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly clock: () => number = Date.now) {}

  join(request: JoinGroupRequest): Promise<JoinGroupResult> {
    const failed = (errorCode: ErrorCodeValue): Promise<JoinGroupResult> =>
      Promise.resolve({ errorCode, generationId: -1, protocolName: '', leaderId: '', memberId: request.memberId, members: [] });
    if (request.groupId === '') return failed(ErrorCode.INVALID_GROUP_ID);
    if (request.sessionTimeoutMs <= 0) return failed(ErrorCode.INVALID_SESSION_TIMEOUT);
    const group = this.groupFor(request.groupId);
    const joinedAsNewMember = request.memberId === '';
    const existing = joinedAsNewMember ? undefined : group.members.get(request.memberId);
    if (!joinedAsNewMember && !existing) return failed(ErrorCode.UNKNOWN_MEMBER_ID);
    if (!this.acceptsProtocols(group, request, existing)) return failed(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    const member: Member = existing ?? { id: `${request.clientId}-${randomUUID()}`, assignment: EMPTY, lastSeen: this.clock(), protocolType: '', protocols: [], sessionTimeoutMs: 0, rebalanceTimeoutMs: 0 };
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.protocolType = request.protocolType;
    member.protocols = request.protocols;
    member.lastSeen = this.clock();
    group.members.set(member.id, member);

    // A second JoinGroup while one is pending can only come from a client that gave up on the first.
    member.pendingJoin?.resolve({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, generationId: -1, protocolName: '', leaderId: '', memberId: member.id, members: [] });
    const result = new Promise<JoinGroupResult>((resolve) => {
      member.pendingJoin = { connectionId: request.connectionId, joinedAsNewMember, resolve };
    });
    if (group.state !== 'PreparingRebalance') this.prepareRebalance(group);
    this.completeJoinIfAllJoined(group);
    return result;
  }

  sync(request: SyncGroupRequest): Promise<SyncGroupResult> {
    const failed = (errorCode: ErrorCodeValue): Promise<SyncGroupResult> => Promise.resolve({ errorCode, assignment: EMPTY });
    const group = this.groups.get(request.groupId);
    const member = group?.members.get(request.memberId);
    if (!group || !member) return failed(ErrorCode.UNKNOWN_MEMBER_ID);
    if (request.generationId !== group.generationId) return failed(ErrorCode.ILLEGAL_GENERATION);
    if (group.state === 'PreparingRebalance') return failed(ErrorCode.REBALANCE_IN_PROGRESS);
    member.lastSeen = this.clock();
    if (group.state === 'Stable') return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment });

    // CompletingRebalance: everyone waits for the leader's assignment.
    const result = new Promise<SyncGroupResult>((resolve) => {
      member.pendingSync = { connectionId: request.connectionId, resolve };
    });
    if (member.id === group.leaderId) {
      const assigned = new Map(request.assignments.map((entry) => [entry.memberId, entry.assignment]));
      group.state = 'Stable';
      for (const each of group.members.values()) {
        each.assignment = assigned.get(each.id) ?? EMPTY;
        each.pendingSync?.resolve({ errorCode: ErrorCode.NONE, assignment: each.assignment });
        each.pendingSync = undefined;
      }
    }
    return result;
  }

  heartbeat(groupId: string, generationId: number, memberId: string): ErrorCodeValue {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    member.lastSeen = this.clock();
    return group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leave(groupId: string, memberId: string): ErrorCodeValue {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(group, member);
    return ErrorCode.NONE;
  }

  commitOffsets(groupId: string, generationId: number, memberId: string, entries: OffsetCommitEntry[]): ErrorCodeValue {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groupFor(groupId);
    // A commit outside any generation (admin tools, simple consumers) is allowed only while nobody consumes.
    if (!(generationId < 0 && group.state === 'Empty')) {
      if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
      const member = group.members.get(memberId);
      if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
      member.lastSeen = this.clock();
    }
    for (const entry of entries) group.offsets.set(partitionKey(entry.topic, entry.partition), { offset: entry.offset, metadata: entry.metadata });
    return ErrorCode.NONE;
  }

  /** Committed offsets for the given partitions, or every committed one when `partitions` is null. */
  fetchOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }> | null): CommittedOffset[] {
    const offsets = this.groups.get(groupId)?.offsets ?? new Map<string, { offset: number; metadata: string | null }>();
    if (partitions === null) {
      return [...offsets.entries()].map(([key, committed]) => ({ ...parsePartitionKey(key), ...committed }));
    }
    return partitions.map(({ topic, partition }) => ({ topic, partition, ...(offsets.get(partitionKey(topic, partition)) ?? { offset: -1, metadata: '' }) }));
  }

  /**
   * Drops the requests a closed connection was waiting on. A member whose very first JoinGroup
   * was on it leaves: it never learnt its id, so it could never re-join under it.
   */
  connectionClosed(connectionId: number): void {
    for (const group of this.groups.values()) {
      for (const member of [...group.members.values()]) {
        if (member.pendingJoin?.connectionId === connectionId) {
          if (member.pendingJoin.joinedAsNewMember) {
            this.removeMember(group, member);
            continue;
          }
          member.pendingJoin = undefined;
        }
        if (member.pendingSync?.connectionId === connectionId) member.pendingSync = undefined;
      }
    }
  }

  /** After the broker was down: nobody could heartbeat meanwhile, so every clock starts again. */
  restartClocks(): void {
    const now = this.clock();
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) member.lastSeen = now;
      if (group.state === 'PreparingRebalance') group.rebalanceDeadline = now + maxRebalanceTimeout(group);
    }
  }

  /** Expires members whose session timed out and ends rebalances whose timeout passed. */
  tick(): void {
    const now = this.clock();
    for (const group of this.groups.values()) {
      for (const member of [...group.members.values()]) {
        const waiting = member.pendingJoin !== undefined || member.pendingSync !== undefined;
        if (!waiting && now - member.lastSeen > member.sessionTimeoutMs) this.removeMember(group, member);
      }
      if (group.state === 'PreparingRebalance' && group.rebalanceDeadline !== null && now >= group.rebalanceDeadline) this.completeJoin(group);
    }
  }

  /** For assertions and diagnostics: state, generation and member ids of a group. */
  describe(groupId: string): GroupDescription | undefined {
    const group = this.groups.get(groupId);
    return group && { state: group.state, generationId: group.generationId, memberIds: [...group.members.keys()] };
  }

  private groupFor(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) {
      group = { id: groupId, state: 'Empty', generationId: 0, protocolName: null, leaderId: null, members: new Map(), rebalanceDeadline: null, offsets: new Map() };
      this.groups.set(groupId, group);
    }
    return group;
  }

  private acceptsProtocols(group: Group, request: JoinGroupRequest, self: Member | undefined): boolean {
    if (request.protocols.length === 0) return false;
    const others = [...group.members.values()].filter((member) => member !== self);
    if (others.length === 0) return true;
    if (others.some((member) => member.protocolType !== request.protocolType)) return false;
    return request.protocols.some((protocol) => others.every((member) => member.protocols.some((own) => own.name === protocol.name)));
  }

  private prepareRebalance(group: Group): void {
    if (group.state === 'CompletingRebalance') {
      for (const member of group.members.values()) {
        member.pendingSync?.resolve({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
        member.pendingSync = undefined;
      }
    }
    group.state = 'PreparingRebalance';
    group.rebalanceDeadline = this.clock() + maxRebalanceTimeout(group);
  }

  private completeJoinIfAllJoined(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    if ([...group.members.values()].every((member) => member.pendingJoin)) this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    for (const member of [...group.members.values()]) if (!member.pendingJoin) group.members.delete(member.id);
    group.generationId += 1;
    group.rebalanceDeadline = null;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.protocolName = null;
      group.leaderId = null;
      return;
    }
    const members = [...group.members.values()];
    const protocolName = chooseProtocol(members);
    if (group.leaderId === null || !group.members.has(group.leaderId)) group.leaderId = members[0].id;
    group.protocolName = protocolName;
    group.state = 'CompletingRebalance';
    const now = this.clock();
    for (const member of members) {
      const isLeader = member.id === group.leaderId;
      member.lastSeen = now;
      member.pendingJoin?.resolve({
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolName,
        leaderId: group.leaderId,
        memberId: member.id,
        members: isLeader ? members.map((each) => ({ memberId: each.id, metadata: metadataFor(each, protocolName) })) : [],
      });
      member.pendingJoin = undefined;
    }
  }

  private removeMember(group: Group, member: Member): void {
    group.members.delete(member.id);
    member.pendingJoin?.resolve({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, generationId: -1, protocolName: '', leaderId: '', memberId: member.id, members: [] });
    member.pendingSync?.resolve({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    member.pendingJoin = undefined;
    member.pendingSync = undefined;
    if (group.state !== 'PreparingRebalance') {
      if (group.state === 'Empty') return;
      this.prepareRebalance(group);
    }
    this.completeJoinIfAllJoined(group);
  }
}

/** Kafka's vote: among protocols every member supports, each member votes for its most preferred. */
function chooseProtocol(members: Member[]): string {
  const candidates = members[0].protocols.map((protocol) => protocol.name).filter((name) => members.every((member) => member.protocols.some((own) => own.name === name)));
  const votes = new Map<string, number>(candidates.map((name) => [name, 0]));
  for (const member of members) {
    const choice = member.protocols.find((own) => votes.has(own.name));
    if (choice) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
  }
  let best: [string, number] = [candidates[0] ?? members[0].protocols[0].name, -1];
  for (const entry of votes) if (entry[1] > best[1]) best = entry;
  return best[0];
}

function metadataFor(member: Member, protocolName: string): Buffer {
  return member.protocols.find((protocol) => protocol.name === protocolName)?.metadata ?? EMPTY;
}

function maxRebalanceTimeout(group: Group): number {
  return Math.max(0, ...[...group.members.values()].map((member) => member.rebalanceTimeoutMs));
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function parsePartitionKey(key: string): { topic: string; partition: number } {
  const separator = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, separator), partition: Number(key.slice(separator + 1)) };
}
