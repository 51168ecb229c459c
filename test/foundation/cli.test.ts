import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connectedAdmin, testProcessEnv } from '../support/infra.ts';

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
      topics: ['pulse.visits', 'pulse.purchases'],
    });
    const sizes = metadata.topics.map((topic) => topic.partitions.length);
    expect(sizes).toEqual([6, 6]);
  });
});
