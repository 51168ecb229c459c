import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';

/**
 * N profiler processes under one parent, so one host's cores share the partitions. Each child is
 * a full member of the consumer group (its own consumer, Redis connection and ops port): Kafka's
 * group assigns the partitions and Redis's CAS fences a member that lost them, exactly as for
 * profilers on separate hosts — the supervisor coordinates nothing, it only keeps the children
 * running and passes a stop on.
 *
 * Processes rather than worker threads: a profiler's state lives in Redis and its work arrives
 * per partition from Kafka, so threads would share nothing worth sharing, while a process that
 * dies (out of memory, a native crash) takes no sibling with it.
 */
export interface SupervisorOptions {
  /** How many children to keep running. */
  count: number;
  /** Starts child `index` (0-based); called again with the same index to replace one that died. */
  spawnChild: (index: number) => ChildProcess;
  logger: Logger;
  /** Delay before replacing a child that died; doubles per death in a row, up to 30 s. */
  restartDelayMs?: number;
  /** A child that stayed up this long resets the back-off. */
  stableAfterMs?: number;
}

export interface Supervisor {
  /** Current pid of each child slot (undefined while a slot waits to restart). */
  pids(): (number | undefined)[];
  /** Sends the signal to every child and resolves with the highest exit code once all exited. */
  stop(signal?: NodeJS.Signals): Promise<number>;
  /** Resolves once every child has exited after a stop. */
  readonly done: Promise<number>;
}

interface Slot {
  child: ChildProcess | undefined;
  startedAtMs: number;
  deathsInARow: number;
  restartTimer: NodeJS.Timeout | undefined;
}

export function superviseProfilers(options: SupervisorOptions): Supervisor {
  const { count, spawnChild, logger } = options;
  const baseDelayMs = options.restartDelayMs ?? 1_000;
  const stableAfterMs = options.stableAfterMs ?? 60_000;
  let stopping = false;
  let worstExit = 0;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const slots: Slot[] = Array.from({ length: count }, () => ({
    child: undefined,
    startedAtMs: 0,
    deathsInARow: 0,
    restartTimer: undefined,
  }));

  const settleIfAllExited = (): void => {
    if (stopping && slots.every((slot) => slot.child === undefined)) finish(worstExit);
  };

  const start = (index: number): void => {
    const slot = slots[index]!;
    slot.restartTimer = undefined;
    const child = spawnChild(index);
    slot.child = child;
    slot.startedAtMs = Date.now();
    logger.info({ child: index, childPid: child.pid }, 'profiler process started');
    child.once('exit', (code, signal) => {
      slot.child = undefined;
      if (stopping) {
        worstExit = Math.max(worstExit, code ?? 1);
        settleIfAllExited();
        return;
      }
      if (Date.now() - slot.startedAtMs >= stableAfterMs) slot.deathsInARow = 0;
      slot.deathsInARow += 1;
      const delayMs = Math.min(30_000, baseDelayMs * 2 ** (slot.deathsInARow - 1));
      logger.warn(
        { child: index, childPid: child.pid, code, signal, restartInMs: delayMs },
        'profiler process died; starting a new one',
      );
      slot.restartTimer = setTimeout(() => start(index), delayMs);
    });
  };

  for (let index = 0; index < count; index += 1) start(index);

  return {
    pids: () => slots.map((slot) => slot.child?.pid),
    done,
    stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
      stopping = true;
      for (const slot of slots) {
        if (slot.restartTimer) clearTimeout(slot.restartTimer);
        slot.restartTimer = undefined;
        slot.child?.kill(signal);
      }
      settleIfAllExited();
      return done;
    },
  };
}
