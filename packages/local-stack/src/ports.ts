import { createServer } from 'node:net';

/** Every port this process has handed out: servers started side by side never get the same. */
const handedOut = new Set<number>();

/**
 * A free loopback port, never one this process handed out before: the stack starts Kafka, the
 * registry and Redis side by side, and a port is only bound a moment (a JVM's start) after it was
 * chosen. Another program can still take it in between: the callers start a server that could
 * not bind again elsewhere.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await portFromKernel();
    if (handedOut.has(port)) continue;
    // Bounded: a process that asks for thousands forgets the oldest (the range holds ~28,000).
    if (handedOut.size >= 4_096) handedOut.delete(handedOut.values().next().value as number);
    handedOut.add(port);
    return port;
  }
}

/** Asks the kernel for a free loopback port. */
function portFromKernel(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('no port assigned'));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}
