/** Replay progress as text: one redrawn line on a terminal, plain log lines otherwise. */

export interface ProgressFigures {
  namespace: string;
  partitions: { partition: number; done: number; total: number }[];
  done: number;
  total: number;
  elapsedMs: number;
  eventsPerSecond: number;
  etaMs: number | null;
  caughtUp: boolean;
}

/** 75_000 ms → "1m15s"; null → "?". */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '?';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** A bar of `width` cells for a fraction in [0, 1]. */
export function renderBar(fraction: number, width: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(clamped * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

function percent(done: number, total: number): string {
  return `${total === 0 ? 100 : Math.floor((done / total) * 100)}%`;
}

/** The terminal line: bar, counts, rate, ETA; cut to the terminal's width. */
export function formatProgressLine(progress: ProgressFigures, columns = 80): string {
  const fraction = progress.total === 0 ? 1 : progress.done / progress.total;
  const tail =
    ` ${percent(progress.done, progress.total)} ${progress.done}/${progress.total} events` +
    ` · ${Math.round(progress.eventsPerSecond)}/s · ETA ${formatDuration(progress.etaMs)}`;
  const head = `replay ${progress.namespace} `;
  const barWidth = Math.max(10, Math.min(40, columns - head.length - tail.length - 1));
  return `${head}${renderBar(fraction, barWidth)}${tail}`.slice(0, Math.max(20, columns - 1));
}

/** One plain log line: totals, rate, ETA, then each partition's position vs its end. */
export function formatProgressLog(progress: ProgressFigures): string {
  const partitions = progress.partitions
    .map((entry) => `p${entry.partition}=${entry.done}/${entry.total}`)
    .join(' ');
  return (
    `replay ${progress.namespace}: ${progress.done}/${progress.total} events ` +
    `(${percent(progress.done, progress.total)}), ${Math.round(progress.eventsPerSecond)} events/s, ` +
    `ETA ${formatDuration(progress.etaMs)}, elapsed ${formatDuration(progress.elapsedMs)} | ${partitions}`
  );
}
