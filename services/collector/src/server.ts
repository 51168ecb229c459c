import { isUtf8 } from 'node:buffer';
import Fastify, {
  type FastifyBodyParser,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import type { OutputRecord } from '@pulse/stream';
import {
  checkBatchShape,
  eventIdOf,
  validateEvent,
  validateTraits,
  type BatchList,
  type BatchResponse,
  type EventResult,
  type ValidEvent,
} from './batch.ts';
import type { CollectorConfig } from './config.ts';
import { CollectorError } from './errors.ts';
import type { CollectorMetrics } from './metrics.ts';
import { collectorOpenApi } from './openapi.ts';
import { TokenBuckets } from './rate-limit.ts';
import type { EventSink } from './sink.ts';
import { registerTrackerRoutes, type TrackerScripts } from './tracker-scripts.ts';
import { WriteKeyRing, bearerToken } from './write-keys.ts';

export interface CollectorServerOptions {
  config: CollectorConfig;
  sink: EventSink;
  metrics: CollectorMetrics;
  logger: Logger;
  /** Clock of the rate limiter (tests). */
  nowMs?: () => number;
  /** The browser tracker served at GET /v1/tracker.js and /v1/tracker.mjs (404 without). */
  trackerScripts?: TrackerScripts;
}

const EVENTS_ROUTE = '/v1/events';
const TRAITS_ROUTE = '/v1/traits';

/** Error code of a body that is not valid UTF-8. */
const BODY_NOT_UTF8 = 'PULSE_BODY_NOT_UTF8';

/**
 * Fastify's JSON parser behind a strict UTF-8 check. Its own decoding replaces invalid bytes
 * with U+FFFD, so two customer ids differing only in an invalid byte would become one; the id
 * rule would refuse those ids, but a body with broken bytes anywhere is not what its sender
 * meant, and the whole request is refused (400) before anything is produced.
 */
function strictUtf8JsonParser(
  jsonParser: ReturnType<FastifyInstance['getDefaultJsonParser']>,
): FastifyBodyParser<Buffer> {
  return (request, body, done) => {
    if (!isUtf8(body)) {
      done(
        Object.assign(new Error('body is not valid UTF-8'), {
          code: BODY_NOT_UTF8,
          statusCode: 400,
        }),
        undefined,
      );
      return;
    }
    void jsonParser(request, body.toString('utf8'), done);
  };
}

function sendError(
  reply: FastifyReply,
  status: number,
  error: string,
  message: string,
  retryAfterSeconds?: number,
): FastifyReply {
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
  return reply.code(status).send({ error, message });
}

/** Fastify's own body errors, answered with a message a tracker author can act on. */
function bodyErrorOf(
  error: { code?: string; statusCode?: number },
  maxBodyBytes: number,
): { status: number; error: string; message: string } | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        error: 'body_too_large',
        message: `the body is larger than ${maxBodyBytes} bytes`,
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, error: 'empty_body', message: 'body is empty: send {"events": [...]}' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, error: 'invalid_json', message: 'body is not valid JSON' };
    case BODY_NOT_UTF8:
      return {
        status: 400,
        error: 'invalid_utf8',
        message:
          'body is not valid UTF-8 (JSON must be): nothing of this batch was accepted. ' +
          'Ids that differ only in invalid bytes would decode to the same text.',
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        error: 'unsupported_media_type',
        message: 'send application/json (or text/plain holding JSON, as navigator.sendBeacon does)',
      };
    default:
      return undefined;
  }
}

/**
 * The collector's HTTP surface: POST /v1/events and POST /v1/traits, CORS for the configured origins, write keys,
 * a per-key rate limit, and /healthz, /readyz, /metrics, /openapi.json. Request logs carry the
 * method, route, status, time and source: never a body, never a query string.
 */
export function buildCollectorServer(options: CollectorServerOptions): FastifyInstance {
  const { config, sink, metrics, logger } = options;
  const keys = new WriteKeyRing(config.writeKeys);
  const buckets = new TokenBuckets(config.rateLimitPerSecond, config.rateLimitBurst, options.nowMs);
  const sourceOfRequest = new WeakMap<FastifyRequest, string>();
  const origins = new OriginRules(config);
  const openApi = collectorOpenApi(config);
  const metricsKeys = config.metricsToken
    ? new WriteKeyRing([{ source: 'metrics', key: config.metricsToken }])
    : undefined;

  const app = Fastify({
    logger: false,
    bodyLimit: config.maxBodyBytes,
  });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: config.maxBodyBytes },
    strictUtf8JsonParser(app.getDefaultJsonParser('error', 'error')),
  );
  // navigator.sendBeacon and CORS-simple fetches send text/plain: parse it as JSON too.
  app.addContentTypeParser(
    'text/plain',
    { parseAs: 'buffer', bodyLimit: config.maxBodyBytes },
    strictUtf8JsonParser(app.getDefaultJsonParser('error', 'remove')),
  );

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin && origins.allowedForSomeKey(origin)) {
      reply.header('access-control-allow-origin', origins.any ? '*' : origin);
      reply.header('access-control-expose-headers', 'retry-after');
      if (!origins.any) reply.header('vary', 'Origin');
    }
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
        source: sourceOfRequest.get(request),
      },
      'request',
    );
  });

  app.setErrorHandler(
    (error: { code?: string; statusCode?: number; message: string }, request, reply) => {
      const known = bodyErrorOf(error, config.maxBodyBytes);
      if (known) return sendError(reply, known.status, known.error, known.message);
      if (error.statusCode !== undefined && error.statusCode < 500)
        return sendError(reply, error.statusCode, 'bad_request', error.message);
      logger.error({ err: error.message, route: request.routeOptions.url }, 'request failed');
      return sendError(reply, 500, 'internal', 'internal error');
    },
  );

  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, 'not_found', 'no such route'));

  /** 401, 403 or 429 when the source may not send now; undefined when it may. */
  function refuse(
    request: FastifyRequest,
    reply: FastifyReply,
    source: string | undefined,
  ): FastifyReply | undefined {
    if (source === undefined)
      return sendError(
        reply,
        401,
        'unauthorized',
        'send a valid write key: Authorization: Bearer <key>, or "writeKey" in the body',
      );
    const origin = request.headers.origin;
    if (origin !== undefined && !origins.allowedFor(origin, source)) {
      // A text/plain POST or a beacon needs no preflight: the browser sends it whatever the
      // CORS rules, so the collector itself must refuse it. Without the CORS headers the page
      // cannot read the answer, and the browser's console names the CORS policy as the reason.
      metrics.originRefused.inc({ source });
      reply.removeHeader('access-control-allow-origin');
      reply.removeHeader('access-control-expose-headers');
      return sendError(
        reply,
        403,
        'origin_not_allowed',
        'this origin may not send events with this write key (PULSE_COLLECTOR_CORS_ORIGINS)',
      );
    }
    const taken = buckets.take(source);
    if (!taken.allowed) {
      metrics.rateLimited.inc({ source });
      return sendError(
        reply,
        429,
        'rate_limited',
        'too many requests for this write key',
        taken.retryAfterSeconds,
      );
    }
    return undefined;
  }

  /** What one batch route accepts: `events` (visits and purchases) or `traits` records. */
  function validateItem(list: BatchList, raw: unknown, sender: string) {
    return list === 'events' ? validateEvent(raw, sender) : validateTraits(raw);
  }

  function topicOf(event: ValidEvent): string {
    if (event.type === 'visit') return config.visitsTopic;
    if (event.type === 'purchase') return config.purchasesTopic;
    return config.traitsTopic;
  }

  /** POST /v1/events and POST /v1/traits: the same keys, origins, limits, ids and answers. */
  function registerBatchRoute(route: string, list: BatchList): void {
    app.options(route, async (request, reply) => {
      const origin = request.headers.origin;
      if (!origin || !origins.allowedForSomeKey(origin))
        return sendError(reply, 403, 'origin_not_allowed', 'this origin may not send events');
      return reply
        .code(204)
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', 'authorization, content-type')
        .header('access-control-max-age', '600')
        .send();
    });

    app.post(
      route,
      {
        // A key in the header is checked before the body is read: an unknown sender costs no parse.
        onRequest: async (request, reply) => {
          if (request.headers.authorization === undefined) return;
          const source = keys.sourceOf(bearerToken(request.headers.authorization));
          if (source !== undefined) sourceOfRequest.set(request, source);
          return refuse(request, reply, source);
        },
      },
      async (request, reply) => {
        const shape = checkBatchShape(request.body, config.maxEventsPerBatch, list);
        let source = sourceOfRequest.get(request);
        if (source === undefined) {
          // No header: the beacon form, with the key in the body.
          const fromBody = keys.sourceOf(shape.ok ? shape.writeKey : undefined);
          if (fromBody !== undefined) sourceOfRequest.set(request, fromBody);
          const refused = refuse(request, reply, fromBody);
          if (refused || fromBody === undefined) return refused;
          source = fromBody;
        }
        const sender = source;
        if (!shape.ok) return sendError(reply, shape.status, shape.error, shape.message);

        const results: EventResult[] = [];
        const records: OutputRecord[] = [];
        const counts = {
          visit: { accepted: 0, rejected: 0 },
          purchase: { accepted: 0, rejected: 0 },
          traits: { accepted: 0, rejected: 0 },
          unknown: { accepted: 0, rejected: 0 },
        };
        shape.events.forEach((raw, index) => {
          const eventId = eventIdOf(raw);
          const checked = validateItem(list, raw, sender);
          if (!checked.ok) {
            const type = list === 'traits' ? 'traits' : (raw as { type?: unknown } | null)?.type;
            counts[
              type === 'visit' || type === 'purchase' || type === 'traits' ? type : 'unknown'
            ].rejected += 1;
            results.push({
              index,
              ...(eventId ? { eventId } : {}),
              status: 'rejected',
              errors: checked.errors,
            });
            return;
          }
          counts[checked.event.type].accepted += 1;
          results.push({ index, eventId: checked.event.wire.eventId, status: 'accepted' });
          records.push({
            topic: topicOf(checked.event),
            key: checked.event.wire.customerId,
            value: JSON.stringify(checked.event.wire),
          });
        });

        if (records.length > 0) {
          const stopTimer = metrics.produceDuration.startTimer();
          try {
            await sink.send(records);
            stopTimer();
          } catch (error) {
            const code = error instanceof CollectorError ? error.code : 'PRODUCE_FAILED';
            metrics.kafkaUnavailable.inc({ code });
            logger.warn({ code, events: records.length }, 'batch not acknowledged by Kafka; 503');
            return sendError(
              reply,
              503,
              'kafka_unavailable',
              'events could not be stored; nothing of this batch was accepted: retry it with the same eventIds',
              config.unavailableRetryAfterSeconds,
            );
          }
        }
        for (const [type, count] of Object.entries(counts)) {
          if (count.accepted > 0) metrics.events.inc({ type, outcome: 'accepted' }, count.accepted);
          if (count.rejected > 0) metrics.events.inc({ type, outcome: 'rejected' }, count.rejected);
        }
        const body: BatchResponse = {
          accepted: records.length,
          rejected: results.length - records.length,
          results,
        };
        return reply.code(202).send(body);
      },
    );
  }

  registerBatchRoute(EVENTS_ROUTE, 'events');
  registerBatchRoute(TRAITS_ROUTE, 'traits');

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = await sink.isReady();
    return reply
      .code(ready ? 200 : 503)
      .send({ ready, kafka: ready ? 'connected' : 'unreachable' });
  });
  app.get('/metrics', async (request, reply) => {
    if (
      metricsKeys &&
      metricsKeys.sourceOf(bearerToken(request.headers.authorization)) === undefined
    )
      return sendError(reply, 401, 'unauthorized', 'send Authorization: Bearer <metrics token>');
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/openapi.json', async () => openApi);
  registerTrackerRoutes(app, options.trackerScripts);
  return app;
}

/** Which browser origins may post: with every write key, or with one source's key only. */
class OriginRules {
  readonly any: boolean;
  private readonly everyKey: Set<string>;
  private readonly bySource: Map<string, Set<string>>;
  private readonly someKey: Set<string>;

  constructor(config: Pick<CollectorConfig, 'corsOrigins' | 'sourceOrigins'>) {
    this.any = config.corsOrigins.includes('*');
    this.everyKey = new Set(config.corsOrigins);
    this.bySource = new Map(
      Object.entries(config.sourceOrigins).map(([source, list]) => [source, new Set(list)]),
    );
    this.someKey = new Set([...this.everyKey, ...Object.values(config.sourceOrigins).flat()]);
  }

  allowedForSomeKey(origin: string): boolean {
    return this.any || this.someKey.has(origin);
  }

  allowedFor(origin: string, source: string): boolean {
    return this.any || this.everyKey.has(origin) || this.bySource.get(source)?.has(origin) === true;
  }
}
