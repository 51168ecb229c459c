import { describe, expect, it } from 'vitest';
import {
  busySecondsOfProcStat,
  cpuSecondsOfProcessStat,
  machineBusySeconds,
  processCpuSeconds,
} from './machine-cpu.ts';

describe('CPU from /proc', () => {
  it('counts every state but idle and iowait as busy, across all cores', () => {
    // user nice system idle iowait irq softirq steal guest guest_nice
    const text = 'cpu  2000 100 400 9000 300 10 20 30 0 0\ncpu0 1000 50 200 4500 150 5 10 15 0 0\n';
    expect(busySecondsOfProcStat(text, 100)).toBeCloseTo((2000 + 100 + 400 + 10 + 20 + 30) / 100);
  });

  it('reads utime and stime after a command name that holds spaces and parentheses', () => {
    const fields = ['S', ...Array.from({ length: 10 }, (_, i) => String(i)), '250', '50', '7'];
    const text = `4242 (node (my worker)) ${fields.join(' ')} 20 0 1 0`;
    expect(cpuSecondsOfProcessStat(text, 100)).toBeCloseTo(3);
  });

  it('rejects a text that is not the format', () => {
    expect(() => busySecondsOfProcStat('intr 1 2 3', 100)).toThrow(/cpu line/);
    expect(() => cpuSecondsOfProcessStat('1 (x) S', 100)).toThrow(/utime/);
  });

  it('reads this machine and this process', () => {
    const before = processCpuSeconds(process.pid)!;
    const machine = machineBusySeconds()!;
    let spin = 0;
    const until = process.cpuUsage();
    while (process.cpuUsage(until).user < 50_000) spin += 1;
    expect(spin).toBeGreaterThan(0);
    expect(processCpuSeconds(process.pid)!).toBeGreaterThan(before);
    expect(machineBusySeconds()!).toBeGreaterThan(machine);
    expect(processCpuSeconds(2 ** 30)).toBeUndefined();
  });
});
