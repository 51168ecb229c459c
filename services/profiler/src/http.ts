import Fastify from 'fastify';
import { AccessKeyRing, bearerToken } from '@pulse/config';
import type { ProfilerMetrics } from './metrics.ts';

export interface OpsServer {
  port: number;
  close(): Promise<void>;
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
  const metricsKeys = options.token
    ? new AccessKeyRing([{ owner: 'metrics', key: options.token }])
    : undefined;
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = options.isReady();
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  app.get('/metrics', async (request, reply) => {
    if (
      metricsKeys &&
      metricsKeys.ownerOf(bearerToken(request.headers.authorization)) === undefined
    ) {
      return reply.code(401).send({ error: 'unauthorized' });
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
