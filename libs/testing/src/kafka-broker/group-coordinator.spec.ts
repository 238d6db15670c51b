import { GroupCoordinator } from './group-coordinator';
import type { JoinGroupRequest } from './group-coordinator';
import { ErrorCode } from './protocol';

/** A coordinator on a hand-driven clock: time passes only when the test says so. */
function coordinator() {
  let now = 1_000_000;
  const groups = new GroupCoordinator(() => now);
  return {
    groups,
    advance(ms: number) {
      now += ms;
      groups.tick();
    },
  };
}

function joinRequest(memberId = '', overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    sessionTimeoutMs: 1000,
    rebalanceTimeoutMs: 5000,
    memberId,
    clientId: 'client',
    protocolType: 'consumer',
    protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from('m') }],
    connectionId: 1,
    ...overrides,
  };
}

async function joinAlone(groups: GroupCoordinator) {
  const joined = await groups.join(joinRequest());
  const synced = await groups.sync({ groupId: 'g', generationId: joined.generationId, memberId: joined.memberId, assignments: [{ memberId: joined.memberId, assignment: Buffer.from('all') }], connectionId: 1 });
  return { joined, synced };
}

describe('GroupCoordinator', () => {
  it('should make the first member leader of generation 1 and hand it the assignment it synced', async () => {
    const { groups } = coordinator();
    const { joined, synced } = await joinAlone(groups);
    expect(joined).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leaderId: joined.memberId, protocolName: 'RoundRobinAssigner' });
    expect(joined.members.map((member) => member.memberId)).toEqual([joined.memberId]);
    expect(synced).toEqual({ errorCode: ErrorCode.NONE, assignment: Buffer.from('all') });
    expect(groups.describe('g')).toMatchObject({ state: 'Stable', generationId: 1 });
  });

  it('should tell an existing member to rebalance when another joins, then complete generation 2 with both', async () => {
    const { groups } = coordinator();
    const { joined: first } = await joinAlone(groups);
    const secondJoin = groups.join(joinRequest('', { connectionId: 2 }));
    expect(groups.heartbeat('g', 1, first.memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);

    const firstRejoin = await groups.join(joinRequest(first.memberId));
    const second = await secondJoin;
    expect(firstRejoin).toMatchObject({ generationId: 2, leaderId: first.memberId });
    expect(firstRejoin.members).toHaveLength(2);
    expect(second).toMatchObject({ generationId: 2, leaderId: first.memberId, members: [] });

    const followerSync = groups.sync({ groupId: 'g', generationId: 2, memberId: second.memberId, assignments: [], connectionId: 2 });
    await groups.sync({ groupId: 'g', generationId: 2, memberId: first.memberId, assignments: [{ memberId: second.memberId, assignment: Buffer.from('p1') }], connectionId: 1 });
    expect(await followerSync).toEqual({ errorCode: ErrorCode.NONE, assignment: Buffer.from('p1') });
    expect(groups.heartbeat('g', 1, first.memberId)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(groups.heartbeat('g', 2, first.memberId)).toBe(ErrorCode.NONE);
  });

  it('should expire a member that stops heartbeating and rebalance the rest', async () => {
    const { groups, advance } = coordinator();
    const { joined: first } = await joinAlone(groups);
    const secondJoin = groups.join(joinRequest('', { connectionId: 2 }));
    await groups.join(joinRequest(first.memberId));
    const second = await secondJoin;
    await Promise.all([
      groups.sync({ groupId: 'g', generationId: 2, memberId: second.memberId, assignments: [], connectionId: 2 }),
      groups.sync({ groupId: 'g', generationId: 2, memberId: first.memberId, assignments: [], connectionId: 1 }),
    ]);

    advance(600);
    expect(groups.heartbeat('g', 2, first.memberId)).toBe(ErrorCode.NONE);
    advance(600); // the second member's session (1000 ms) has now passed
    expect(groups.describe('g')?.memberIds).toEqual([first.memberId]);
    expect(groups.heartbeat('g', 2, first.memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(groups.heartbeat('g', 2, second.memberId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await groups.join(joinRequest(first.memberId))).toMatchObject({ generationId: 3, members: [{ memberId: first.memberId }] });
  });

  it('should drop members that do not re-join before the rebalance timeout', async () => {
    const { groups, advance } = coordinator();
    const { joined: first } = await joinAlone(groups);
    const secondJoin = groups.join(joinRequest('', { connectionId: 2, sessionTimeoutMs: 60_000 }));
    // The first member keeps heartbeating but never re-joins.
    for (let i = 0; i < 6; i++) {
      advance(900);
      groups.heartbeat('g', 1, first.memberId);
    }
    const second = await secondJoin;
    expect(second).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, leaderId: second.memberId });
    expect(groups.describe('g')?.memberIds).toEqual([second.memberId]);
  });

  it('should rebalance at once when a member leaves, and go empty when the last one does', async () => {
    const { groups } = coordinator();
    const { joined } = await joinAlone(groups);
    expect(groups.leave('g', joined.memberId)).toBe(ErrorCode.NONE);
    expect(groups.describe('g')).toMatchObject({ state: 'Empty', generationId: 2, memberIds: [] });
    expect(groups.leave('g', joined.memberId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('should forget a new member whose connection closed while its first JoinGroup waited', async () => {
    const { groups } = coordinator();
    const { joined: first } = await joinAlone(groups);
    const ghost = groups.join(joinRequest('', { connectionId: 9 }));
    groups.connectionClosed(9);
    await expect(ghost).resolves.toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    expect(await groups.join(joinRequest(first.memberId))).toMatchObject({ generationId: 2, members: [{ memberId: first.memberId }] });
  });

  it('should accept commits from the current generation, refuse stale ones, and return -1 for uncommitted partitions', async () => {
    const { groups } = coordinator();
    const { joined } = await joinAlone(groups);
    expect(groups.commitOffsets('g', 1, joined.memberId, [{ topic: 't', partition: 0, offset: 7, metadata: null }])).toBe(ErrorCode.NONE);
    expect(groups.commitOffsets('g', 0, joined.memberId, [{ topic: 't', partition: 0, offset: 9, metadata: null }])).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(groups.commitOffsets('g', 1, 'someone-else', [{ topic: 't', partition: 0, offset: 9, metadata: null }])).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(groups.fetchOffsets('g', [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }])).toEqual([
      { topic: 't', partition: 0, offset: 7, metadata: null },
      { topic: 't', partition: 1, offset: -1, metadata: '' },
    ]);
    expect(groups.fetchOffsets('g', null)).toEqual([{ topic: 't', partition: 0, offset: 7, metadata: null }]);
  });

  it('should refuse a member whose protocols share nothing with the group', async () => {
    const { groups } = coordinator();
    await joinAlone(groups);
    const other = await groups.join(joinRequest('', { protocols: [{ name: 'Other', metadata: Buffer.alloc(0) }] }));
    expect(other.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });
});
