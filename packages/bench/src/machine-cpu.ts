// Where the machine's CPU goes over a drain, read from Linux's /proc: the whole machine's busy
// time (every core, every process) and the profilers' own. With Redis's INFO cpu beside them,
// a drain's cost per event splits into profiler, Redis and the rest (the broker above all, the
// benchmark's own polling, the OS) — and the machine's cores divided by that cost bound what
// any profiler count could drain on it. Elsewhere than Linux the figures are absent.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (`getconf CLK_TCK`; 100 on every common Linux). */
function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      const text = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
      const value = Number(text.trim());
      ticksPerSecond = Number.isFinite(value) && value > 0 ? value : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** The first line of a /proc/stat text: the busy seconds of all cores together. */
export function busySecondsOfProcStat(text: string, ticks: number): number {
  const line = text.split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== 'cpu') throw new Error('/proc/stat does not start with the cpu line');
  // user nice system idle iowait irq softirq steal (guest time is already in user and nice).
  const values = fields.slice(1, 9).map(Number);
  if (values.length < 4 || values.some((value) => !Number.isFinite(value)))
    throw new Error('/proc/stat has an unreadable cpu line');
  // Busy: everything but idle (index 3) and iowait (index 4).
  const busy = values.reduce((sum, value) => sum + value, 0) - values[3]! - (values[4] ?? 0);
  return busy / ticks;
}

/** User + system seconds of one process (all its threads), from a /proc/<pid>/stat text. */
export function cpuSecondsOfProcessStat(text: string, ticks: number): number {
  // The command name (field 2) is in parentheses and may hold spaces: count after its end.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error('a /proc/<pid>/stat without utime and stime');
  return (utime + stime) / ticks;
}

/** Busy seconds of the whole machine since boot; undefined where /proc/stat cannot be read. */
export function machineBusySeconds(): number | undefined {
  try {
    return busySecondsOfProcStat(readFileSync('/proc/stat', 'utf8'), clockTicksPerSecond());
  } catch {
    return undefined;
  }
}

/** CPU seconds a live process has used; undefined where its /proc entry cannot be read. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return cpuSecondsOfProcessStat(
      readFileSync(`/proc/${pid}/stat`, 'utf8'),
      clockTicksPerSecond(),
    );
  } catch {
    return undefined;
  }
}
