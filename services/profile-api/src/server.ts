import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { checkId, idProblemReason, parseUtcTimestampMs } from '@pulse/contracts';
import { parseDimensions, type SegmentDimension } from '@pulse/core';
import type { ProfileApiConfig } from './config.ts';
import { ReadKeyRing } from './config.ts';
import type { ProfileApiMetrics } from './metrics.ts';
import { profileApiOpenApi } from './openapi.ts';
import type { ProfileReader } from './reader.ts';
import { parseDay } from './segments.ts';

export interface ProfileApiServerOptions {
  config: ProfileApiConfig;
  reader: ProfileReader;
  metrics: ProfileApiMetrics;
  logger: Logger;
  isReady: () => Promise<boolean>;
}

function sendError(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).send({ error, message });
}

/**
 * Longest route parameter the router hands over. Far above any id the id rule accepts (128 code
 * points are at most 1,536 characters percent-encoded), so a too-long id reaches the rule and
 * gets its 400 with the limit, not the router's bare 414.
 */
const MAX_PARAM_LENGTH = 8192;

/**
 * GET /v1/profiles/:customerId and GET /v1/segments behind read keys, plus /healthz, /readyz, /metrics and
 * /openapi.json. Request logs: method, route template, status, time; never the customer id
 * (personal data: the route template stands for it), never a query string or a response body.
 */
export function buildProfileApiServer(options: ProfileApiServerOptions): FastifyInstance {
  const { config, reader, metrics, logger } = options;
  const readKeys = new ReadKeyRing(config.readKeys);
  const metricsKeys = config.metricsToken
    ? new ReadKeyRing([{ name: 'metrics', key: config.metricsToken }])
    : undefined;
  const openApi = profileApiOpenApi();
  const app = Fastify({
    logger: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router's own refusals, in the API's error shape and without echoing the URL (it
    // holds the customer id): bad percent-encoding (not UTF-8) and a parameter past the bound.
    frameworkErrors: (error, _request, reply) => {
      if (error.code === 'FST_ERR_BAD_URL')
        return sendError(
          reply,
          400,
          'invalid_customer_id',
          'customerId must be valid UTF-8, percent-encoded in the path',
        );
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
        return sendError(
          reply,
          400,
          'invalid_customer_id',
          `customerId ${idProblemReason('too-long')}`,
        );
      return sendError(reply, 400, 'bad_request', 'bad request');
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    logger.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, 'not_found', 'no such route'));
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    if (error.statusCode !== undefined && error.statusCode < 500)
      return sendError(reply, error.statusCode, 'bad_request', error.message);
    logger.error({ err: error.message, route: request.routeOptions.url }, 'request failed');
    return sendError(reply, 500, 'internal', 'internal error');
  });

  app.get<{ Params: { customerId: string }; Querystring: { asOf?: string } }>(
    '/v1/profiles/:customerId',
    {
      onRequest: async (request, reply) => {
        if (readKeys.nameOf(request.headers.authorization) === undefined)
          return sendError(reply, 401, 'unauthorized', 'send Authorization: Bearer <read key>');
      },
    },
    async (request, reply) => {
      const { customerId } = request.params;
      // The same id rule as the collector and the profiler's decoder: an id they would refuse
      // was never stored, and the answer says why instead of a 404.
      const idCheck = checkId(customerId);
      if (!idCheck.ok)
        return sendError(reply, 400, 'invalid_customer_id', `customerId ${idCheck.reason}`);
      let asOfMs: number | undefined;
      if (request.query.asOf !== undefined) {
        asOfMs = parseUtcTimestampMs(request.query.asOf);
        if (asOfMs === undefined)
          return sendError(
            reply,
            400,
            'invalid_as_of',
            'asOf must be an ISO-8601 UTC timestamp ending in Z',
          );
      }
      const stopTimer = metrics.lookupDuration.startTimer();
      let profile;
      try {
        profile = await reader.read(customerId, asOfMs);
      } catch (error) {
        logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'lookup failed',
        );
        return reply
          .header('retry-after', '5')
          .code(503)
          .send({ error: 'unavailable', message: 'profiles cannot be read right now' });
      } finally {
        stopTimer();
      }
      if (!profile)
        return sendError(
          reply,
          404,
          'unknown_customer',
          'no profile for this customer in the live namespace',
        );
      return profile;
    },
  );

  app.get<{ Querystring: { by?: string; from?: string; to?: string } }>(
    '/v1/segments',
    {
      onRequest: async (request, reply) => {
        if (readKeys.nameOf(request.headers.authorization) === undefined)
          return sendError(reply, 401, 'unauthorized', 'send Authorization: Bearer <read key>');
      },
    },
    async (request, reply) => {
      let by: SegmentDimension[];
      try {
        by = parseDimensions(request.query.by);
      } catch (error) {
        return sendError(reply, 400, 'invalid_by', (error as Error).message);
      }
      const days: (number | null)[] = [];
      for (const name of ['from', 'to'] as const) {
        const text = request.query[name];
        const day = text === undefined ? null : parseDay(text);
        if (day === undefined)
          return sendError(
            reply,
            400,
            `invalid_${name}`,
            `${name} must be a day (YYYY-MM-DD) or an ISO-8601 UTC timestamp ending in Z`,
          );
        days.push(day);
      }
      const [fromDay, toDay] = days as [number | null, number | null];
      if (fromDay !== null && toDay !== null && fromDay > toDay)
        return sendError(reply, 400, 'invalid_range', 'from must not be after to');
      try {
        return await reader.segments(by, fromDay, toDay);
      } catch (error) {
        logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'segments read failed',
        );
        return reply
          .header('retry-after', '5')
          .code(503)
          .send({ error: 'unavailable', message: 'segment figures cannot be read right now' });
      }
    },
  );

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = await options.isReady().catch(() => false);
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  app.get('/metrics', async (request, reply) => {
    if (metricsKeys && metricsKeys.nameOf(request.headers.authorization) === undefined)
      return sendError(reply, 401, 'unauthorized', 'send Authorization: Bearer <metrics token>');
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/openapi.json', async () => openApi);
  return app;
}
