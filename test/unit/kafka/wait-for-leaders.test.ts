// waitForLeaders (src/kafka/admin.ts) with a fake admin: a topic counts as ready only when its
// leader serves requests, not when the metadata names one (a loaded KRaft broker names the leader
// before it serves: ListOffsets and Produce answer NOT_LEADER_FOR_PARTITION meanwhile, and kafkajs'
// admin.fetchTopicOffsets gives up on that at once).
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { waitForLeaders } from '../../../src/kafka/admin.ts';

const notLeader = Object.assign(new Error('This server is not the leader for that topic-partition'), { type: 'NOT_LEADER_FOR_PARTITION' });

function fakeAdmin(offsetFailures: number): { admin: Admin; offsetCalls: () => number } {
  let calls = 0;
  const admin = {
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({ topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, leader: 1 }, { partitionId: 1, leader: 1 }] })) }),
    fetchTopicOffsets: async (topic: string) => {
      calls += 1;
      if (calls <= offsetFailures) throw notLeader;
      return [{ partition: 0, offset: '0', high: '0', low: '0' }, { partition: 1, offset: '0', high: '0', low: '0' }].map((o) => ({ ...o, topic }));
    },
  } as unknown as Admin;
  return { admin, offsetCalls: () => calls };
}

describe('waitForLeaders', () => {
  it('waits until the named leader serves its partitions, not only until the metadata names it', async () => {
    const { admin, offsetCalls } = fakeAdmin(2);
    await waitForLeaders(admin, ['t1'], { intervalMs: 1 });
    expect(offsetCalls()).toBe(3);
  });

  it('gives up after its timeout with the cause, as a retriable dependency error', async () => {
    const { admin } = fakeAdmin(Number.POSITIVE_INFINITY);
    await expect(waitForLeaders(admin, ['t1'], { timeoutMs: 20, intervalMs: 1 })).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', message: expect.stringMatching(/t1 have no leader after 20 ms: NOT_LEADER_FOR_PARTITION/) });
  });
});
