import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { TOPICS } from '@pulse/stream';
import { defaultTopicLayout, initTopics, planTopics } from '@pulse/stream';
import { connectedAdmin, createTestTopics, testProcessEnv, uniqueName } from '../support/infra.ts';

const run = promisify(execFile);

describe('pulse topics init', () => {
  it('creates the co-partitioned topics, and is idempotent', async () => {
    const env = testProcessEnv();
    const first = await run('npx', ['pulse', 'topics', 'init', '--partitions', '6'], { env });
    const second = await run('npx', ['pulse', 'topics', 'init', '--partitions', '6'], { env });
    expect(first.stdout + second.stdout).toMatch(/pulse\.visits/);
    expect(second.stdout).not.toMatch(/created/);

    const admin = await connectedAdmin();
    const metadata = await admin.fetchTopicMetadata({
      topics: ['pulse.visits', 'pulse.purchases', 'pulse.traits'],
    });
    const sizes = metadata.topics.map((topic) => topic.partitions.length);
    expect(sizes).toEqual([6, 6, 6]);
  });

  it('refuses to go on when an existing input topic (traits included) has another partition count', async () => {
    // The traits topic exists with 2 partitions; init wants 3 for every input topic.
    const [traits] = (await createTestTopics([{ prefix: 'init-traits', partitions: 2 }])) as [
      string,
    ];
    const base = uniqueName('init');
    const names = {
      visits: `${base}.visits`,
      purchases: `${base}.purchases`,
      traits,
      lapseSignals: `${base}.lapse`,
      readyToBuySignals: `${base}.ready`,
      deadLetter: `${base}.dlq`,
    } as unknown as typeof TOPICS;
    const admin = await connectedAdmin();
    const plan = planTopics({ ...defaultTopicLayout, inputPartitions: 3 }, names);
    await expect(initTopics(admin, plan)).rejects.toThrow(
      `${base}.visits has 3 partitions but ${traits} has 2: input topics must be co-partitioned`,
    );
    await admin.deleteTopics({ topics: plan.map((entry) => entry.topic) }).catch(() => undefined);
  });
});
