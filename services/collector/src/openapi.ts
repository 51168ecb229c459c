import { z } from 'zod';
import {
  batchRequestSchema,
  batchResponseSchema,
  collectorPurchaseSchema,
  collectorTraitsSchema,
  collectorVisitSchema,
  errorResponseSchema,
  traitsBatchRequestSchema,
} from './batch.ts';
import type { CollectorConfig } from './config.ts';

function component(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  // Refinements (the UTC timestamp check) are not representable; the descriptions say them.
  // Schemas are inlined (no ids), so every component stands alone without $defs.
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    reused: 'inline',
  }) as Record<string, unknown>;
  return json;
}

const errorBody = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
};

const trackerPath = (summary: string) => ({
  get: {
    summary,
    security: [],
    parameters: [
      { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } },
    ],
    responses: {
      '200': {
        description: 'The script (Cache-Control: public, max-age; ETag)',
        content: { 'text/javascript': { schema: { type: 'string' } } },
      },
      '304': { description: 'The ETag in If-None-Match is current' },
    },
  },
});

/** The OpenAPI 3.1 document of the collector, generated from the zod schemas it validates with. */
export function collectorOpenApi(
  config: Pick<CollectorConfig, 'maxEventsPerBatch' | 'maxBodyBytes'>,
) {
  const batchPath = (summary: string, items: string, body: string, badRequest: string) => ({
    post: {
      summary,
      requestBody: {
        required: true,
        description: `At most ${config.maxEventsPerBatch} ${items} and ${config.maxBodyBytes} bytes. application/json, or text/plain holding JSON (navigator.sendBeacon).`,
        content: {
          'application/json': { schema: { $ref: `#/components/schemas/${body}` } },
          'text/plain': { schema: { $ref: `#/components/schemas/${body}` } },
        },
      },
      responses: {
        '202': {
          description: `Every one of the ${items} accepted or rejected, one result each, in order`,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/BatchResult' } },
          },
        },
        '400': errorBody(badRequest),
        '401': errorBody('Missing or unknown write key'),
        '403': errorBody(
          'The browser origin (Origin header) is not allowed for this write key: nothing accepted',
        ),
        '413': errorBody(`Too many ${items} or too many bytes`),
        '415': errorBody('Neither application/json nor text/plain'),
        '429': errorBody('Rate limit of the write key', retryAfter),
        '503': errorBody(
          'Kafka did not acknowledge: nothing of this batch is accepted',
          retryAfter,
        ),
      },
    },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pulse collector',
      version: '1',
      description:
        'Takes batches of visit and purchase events (the JSON contract of schemas/, plus a ' +
        '`type` field) and produces the valid ones to Kafka, keyed by customerId. A 202 lists ' +
        'every event as accepted (acknowledged by all in-sync replicas) or rejected (field and ' +
        'reason). Retry 503 and 429 after Retry-After with the same eventIds: duplicates count once. ' +
        "A write key speaks for its own source only: a visit without source gets the key's source, " +
        'a visit naming another source is rejected (field source), never rewritten. Ids (eventId, ' +
        'customerId, orderId, sessionId, source) have 1-128 characters (Unicode code points) of ' +
        "valid UTF-8, no control characters and no U+FFFD. POST /v1/traits takes a customer's " +
        'traits as of a time (country, region, acquisitionSource, customerType, plan, custom ' +
        'attributes) to pulse.traits, with the same keys, limits and answers.',
    },
    components: {
      securitySchemes: { writeKey: { type: 'http', scheme: 'bearer', description: 'A write key' } },
      schemas: {
        EventBatch: component(batchRequestSchema(config.maxEventsPerBatch), 'input'),
        VisitEvent: component(collectorVisitSchema, 'input'),
        PurchaseEvent: component(collectorPurchaseSchema, 'input'),
        TraitsBatch: component(traitsBatchRequestSchema(config.maxEventsPerBatch), 'input'),
        Traits: component(collectorTraitsSchema, 'input'),
        BatchResult: component(batchResponseSchema, 'output'),
        Error: component(errorResponseSchema, 'output'),
      },
    },
    security: [{ writeKey: [] }],
    paths: {
      '/v1/events': batchPath(
        'Send a batch of events',
        'events',
        'EventBatch',
        'Empty body, not valid UTF-8 (invalid_utf8: nothing of the batch is accepted), not JSON, or not {"events": [...]}',
      ),
      '/v1/traits': batchPath(
        "Send a batch of customers' traits",
        'traits records',
        'TraitsBatch',
        'Empty body, not valid UTF-8 (invalid_utf8: nothing of the batch is accepted), not JSON, or not {"traits": [...]}',
      ),
      '/v1/tracker.js': trackerPath('The browser tracker as a classic script (sets window.pulse)'),
      '/v1/tracker.mjs': trackerPath('The browser tracker as an ES module'),
      '/healthz': {
        get: {
          summary: 'The process is alive',
          security: [],
          responses: { '200': { description: 'alive' } },
        },
      },
      '/readyz': {
        get: {
          summary:
            'Connected to Kafka, and the broker answered a metadata request within the last 2 s',
          security: [],
          responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          security: [],
          responses: { '200': { description: 'metrics' } },
        },
      },
    },
  };
}
