import { formatAge, type PartitionStatus, type StatusReport } from './report.ts';

/** `pulse status` as text: the group above, one row per partition, the reasons below. */

const RED = '\u001b[31m';
const RESET = '\u001b[0m';
const LABEL_WIDTH = 10;

/** Wraps words to `width` columns; lines after the first start with `indent`. */
export function wrapWords(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line === '' ? word : `${line} ${word}`;
    const prefix = lines.length === 0 ? '' : indent;
    if (line !== '' && prefix.length + candidate.length > width) {
      lines.push(`${prefix}${line}`);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(`${lines.length === 0 ? '' : indent}${line}`);
  return lines;
}

/** `label     text`, wrapped with a hanging indent under the text. */
function labelled(label: string, text: string, width: number): string[] {
  return wrapWords(text, width - LABEL_WIDTH).map(
    (line, index) => `${(index === 0 ? label : '').padEnd(LABEL_WIDTH)}${line}`,
  );
}

/** [0,1,2,3,5] → "0-3, 5". */
export function partitionRanges(partitions: number[]): string {
  const sorted = [...partitions].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let index = 0; index < sorted.length;) {
    const start = sorted[index] as number;
    let end = start;
    while (sorted[index + 1] === end + 1) {
      end += 1;
      index += 1;
    }
    index += 1;
    ranges.push(
      end > start + 1 ? `${start}-${end}` : end === start ? `${start}` : `${start}, ${end}`,
    );
  }
  return ranges.join(', ');
}

/** `pulse-3656831e-02bd-…` (client id `pulse`) → `pulse-3656831e`. */
export function shortMemberId(memberId: string, clientId: string): string {
  const rest = memberId.startsWith(`${clientId}-`) ? memberId.slice(clientId.length + 1) : null;
  return rest === null ? memberId.slice(0, 24) : `${clientId}-${rest.slice(0, 8)}`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** The last dotted part of a topic name, as a column header (`pulse.visits` → `visits`). */
export function topicColumn(topic: string): string {
  return topic.split('.').at(-1) || topic;
}

function streamTimeCell(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

interface Column {
  header: string;
  align: 'left' | 'right';
  cell(partition: PartitionStatus): string;
}

function columns(report: StatusReport): Column[] {
  const topics = report.partitions[0]?.inputs.map((input) => input.topic) ?? [];
  return [
    { header: 'p', align: 'right', cell: (p) => String(p.partition) },
    { header: 'mbr', align: 'left', cell: (p) => p.memberAlias ?? '—' },
    { header: 'stream time', align: 'left', cell: (p) => streamTimeCell(p.streamTimeMs) },
    {
      header: 'behind',
      align: 'right',
      cell: (p) => (p.behindWallMs === null ? '—' : formatAge(p.behindWallMs)),
    },
    ...topics.map((topic, index): Column => ({
      header: topicColumn(topic),
      align: 'right',
      cell: (p) => count(p.inputs[index]?.lag ?? 0),
    })),
    {
      header: 'outbox',
      align: 'left',
      cell: (p) =>
        p.outbox.oldestAgeMs === null
          ? count(p.outbox.entries)
          : `${count(p.outbox.entries)} ${formatAge(p.outbox.oldestAgeMs)}`,
    },
    { header: 'held', align: 'right', cell: (p) => count(p.heldLapses) },
    { header: 'due', align: 'right', cell: (p) => count(p.timersDue) },
    {
      header: 'commit',
      align: 'right',
      cell: (p) => (p.lastCommitAgoMs === null ? 'never' : formatAge(p.lastCommitAgoMs)),
    },
  ];
}

function table(report: StatusReport, color: boolean): string[] {
  const cols = columns(report);
  const rows = report.partitions.map((partition) => cols.map((col) => col.cell(partition)));
  const widths = cols.map((col, index) =>
    Math.max(col.header.length, ...rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, index) =>
        cols[index]?.align === 'right'
          ? cell.padStart(widths[index] ?? 0)
          : cell.padEnd(widths[index] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const out = [line(cols.map((col) => col.header))];
  report.partitions.forEach((partition, index) => {
    const text = `${line(rows[index] ?? [])}${partition.stuck ? '  STUCK' : ''}`;
    out.push(partition.stuck && color ? `${RED}${text}${RESET}` : text);
  });
  return out;
}

function groupLines(report: StatusReport, width: number): string[] {
  const { group } = report;
  const members =
    group.members.length === 0
      ? 'no members'
      : `${group.members.length} member${group.members.length === 1 ? '' : 's'}`;
  const lines = labelled('group', `${group.groupId}: ${group.state}, ${members}`, width);
  for (const member of group.members) {
    lines.push(
      ...labelled(
        '',
        `${member.alias} ${shortMemberId(member.memberId, member.clientId)} on ${member.host}, ` +
          `partitions ${member.partitions.length === 0 ? 'none' : partitionRanges(member.partitions)}`,
        width,
      ),
    );
  }
  return lines;
}

function outputsText(report: StatusReport): string {
  const signals = report.lastHour.signals
    .map(
      (output) =>
        `${output.records === null ? '?' : count(output.records)} on ${output.topic} ` +
        `(${output.carries.join(', ')})`,
    )
    .join(', ');
  const dead = report.lastHour.deadLetters;
  return (
    `signals ${signals}; dead letters ` +
    `${dead.records === null ? '?' : count(dead.records)} on ${dead.topic}`
  );
}

function replaysText(report: StatusReport): string {
  if (report.replays.length === 0) return 'none';
  return report.replays
    .map((replay) => {
      const state =
        replay.state === 'running'
          ? `running (group ${replay.groupId}, ${replay.groupMembers} member${replay.groupMembers === 1 ? '' : 's'})`
          : replay.state === 'recent'
            ? 'committing (no replay group found)'
            : 'stopped';
      const last =
        replay.lastCommitAgoMs === null ? 'never' : `${formatAge(replay.lastCommitAgoMs)} ago`;
      return (
        `${replay.namespace} ${state}: ${replay.partitions} partitions, ` +
        `${count(replay.inputLag)} input records behind the log end, last commit ${last}`
      );
    })
    .join('; ');
}

/** The whole report as text, at most `width` columns except the table's widest rows. */
export function renderStatus(
  report: StatusReport,
  options: { color: boolean; width?: number },
): string {
  const width = options.width ?? 80;
  const live = report.namespace === report.liveNamespace ? 'live' : `live: ${report.liveNamespace}`;
  const lines = [
    ...labelled('namespace', `${report.namespace} (${live}), checked ${report.checkedAt}`, width),
    ...groupLines(report, width),
    ...labelled(
      'rate',
      `${count(Math.round(report.eventsPerSecond))} events/s (${report.eventsPerSecondSource})`,
      width,
    ),
    ...labelled('last hour', outputsText(report), width),
    ...labelled('replays', replaysText(report), width),
    '',
    ...table(report, options.color),
    ...wrapWords(
      `(stream time in UTC; behind: the wall clock minus stream time; ` +
        `${report.partitions[0]?.inputs.map((input) => topicColumn(input.topic)).join(', ')}: ` +
        `input lag, the log end minus the position in Redis; outbox: entries waiting and the ` +
        `age of the oldest; held: held lapses; due: timers due at stream time; commit: time ` +
        `since the last commit)`,
      width,
    ),
    '',
  ];
  const stuck = report.partitions.filter((partition) => partition.stuck);
  if (stuck.length === 0) {
    lines.push(
      ...wrapWords(
        `no partition is stuck (stuck: an outbox not draining or inputs not consumed for ` +
          `${formatAge(report.stuckAfterMs)})`,
        width,
      ),
    );
  } else {
    lines.push(`stuck (exit code 1):`);
    for (const partition of stuck) {
      for (const reason of partition.reasons) {
        const text = `partition ${partition.partition}: ${reason.message}`;
        const wrapped = wrapWords(text, width - 2, '  ').map((line) => `  ${line}`);
        lines.push(...(options.color ? wrapped.map((line) => `${RED}${line}${RESET}`) : wrapped));
      }
    }
  }
  for (const note of report.notes) lines.push(...wrapWords(`note: ${note}`, width, '  '));
  return `${lines.join('\n')}\n`;
}
