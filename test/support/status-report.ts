import type { CliResult } from './cli.ts';

/** What `pulse status --json` prints, as far as the tests read it. */
export interface JsonPartition {
  partition: number;
  member: string | null;
  inputLag: number;
  inputs: { topic: string; position: string | null; logEnd: string; lag: number }[];
  outbox: { entries: number; oldestAgeMs: number | null };
  stuck: boolean;
  reasons: { kind: string; message: string }[];
}

export interface JsonReport {
  healthy: boolean;
  namespace: string;
  group: { groupId: string; members: { memberId: string; partitions: number[] }[] };
  eventsPerSecond: number;
  lastHour: { deadLetters: { records: number | null } };
  partitions: JsonPartition[];
}

export function parseStatusReport(result: CliResult): JsonReport {
  try {
    return JSON.parse(result.stdout) as JsonReport;
  } catch (error) {
    throw new Error(
      `pulse status --json printed no JSON (exit ${result.code}): ${result.stdout}${result.stderr}`,
      { cause: error },
    );
  }
}
