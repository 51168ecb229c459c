import { timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import type { ProfilerMetrics } from './metrics.ts';

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * /healthz (the process is alive), /readyz (it reaches Kafka and Redis and owns its partitions)
 * and /metrics (Prometheus). Bound to loopback by default; with a token configured, /metrics
 * wants `Authorization: Bearer <token>`.
 */
export async function startOpsServer(options: {
  host: string;
  port: number;
  token: string | undefined;
  metrics: ProfilerMetrics;
  isReady: () => boolean;
}): Promise<OpsServer> {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = options.isReady();
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  app.get('/metrics', async (request, reply) => {
    if (options.token) {
      const header = request.headers.authorization ?? '';
      const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
      if (!sameToken(given, options.token)) return reply.code(401).send({ error: 'unauthorized' });
    }
    return reply
      .type(options.metrics.registry.contentType)
      .send(await options.metrics.registry.metrics());
  });
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { port, close: () => app.close() };
}
