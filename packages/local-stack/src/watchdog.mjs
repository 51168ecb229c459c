// Watchdog for a stack started by the test run: when the process that started it goes away
// (finished, crashed, Ctrl-C'd or SIGKILLed), it stops the servers and removes their data, so no
// java or redis-server of ours outlives the run.
// Usage: node watchdog.mjs <ownerPid> <workDir> <pid>...
import { rmSync } from 'node:fs';

const [ownerPid, workDir, ...pids] = process.argv.slice(2);

function alive(pid) {
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
}

function signalAll(signal) {
  for (const pid of pids) {
    try {
      process.kill(Number(pid), signal);
    } catch {
      // already gone
    }
  }
}

const timer = setInterval(() => {
  if (alive(ownerPid)) return;
  clearInterval(timer);
  signalAll('SIGTERM');
  const deadline = Date.now() + 10_000;
  const reaper = setInterval(() => {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) {
      clearInterval(reaper);
      signalAll('SIGKILL');
      rmSync(workDir, { recursive: true, force: true });
      process.exit(0);
    }
  }, 200);
}, 500);
