import { z } from 'zod';
import { MAX_ID_LENGTH } from '@pulse/contracts';
import { SEGMENT_DIMENSIONS, SIGNAL_RETENTION_DAYS } from '@pulse/core';
import { segmentsResponseSchema } from './segments.ts';
import { errorResponseSchema, profileResponseSchema } from './view.ts';

function component(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
    reused: 'inline',
  }) as Record<string, unknown>;
  return json;
}

const errorBody = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** The OpenAPI 3.1 document of the profile API, generated from its zod schemas. */
export function profileApiOpenApi() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pulse profile API',
      version: '1',
      description:
        "Reads a customer's behavioural profile from the live namespace, with the values " +
        'derived from it (usual latency, days silent, hurdle, status) as of the stream time of ' +
        "the customer's partition.",
    },
    components: {
      securitySchemes: { readKey: { type: 'http', scheme: 'bearer', description: 'A read key' } },
      schemas: {
        Profile: component(profileResponseSchema),
        Segments: component(segmentsResponseSchema),
        Error: component(errorResponseSchema),
      },
    },
    security: [{ readKey: [] }],
    paths: {
      '/v1/profiles/{customerId}': {
        get: {
          summary: "One customer's profile with derived values",
          parameters: [
            {
              name: 'customerId',
              in: 'path',
              required: true,
              description: `The customer id, percent-encoded. The id rule of every Pulse edge: 1-${MAX_ID_LENGTH} characters (Unicode code points), valid UTF-8, no control characters, no U+FFFD.`,
              schema: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH },
            },
            {
              name: 'asOf',
              in: 'query',
              required: false,
              description:
                'Derive the values at this ISO-8601 UTC instant instead of the stream time',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': {
              description: 'The profile',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Profile' } } },
            },
            '400': errorBody(
              `A customer id that breaks the id rule (the message names the rule and the limit, ${MAX_ID_LENGTH} characters), or a bad asOf`,
            ),
            '401': errorBody('Missing or unknown read key'),
            '404': errorBody('Pulse has no profile for this customer in the live namespace'),
            '503': errorBody('Redis or the Kafka metadata is unavailable'),
          },
        },
      },
      '/v1/segments': {
        get: {
          summary: 'Live segment figures of the live namespace, every partition merged',
          description:
            'Customers by behavioural segment and latency band (each as of the stream time of ' +
            'their partition), the median usual latency (a mergeable sketch, to ' +
            '`medianRelativeError`) and signals per kind on the event-time days asked for ' +
            `(kept ${SIGNAL_RETENTION_DAYS} days), grouped by any subset of the dimensions. ` +
            'Without `by`: one group, the whole namespace.',
          parameters: [
            {
              name: 'by',
              in: 'query',
              required: false,
              description: `Comma-separated dimensions to group by: ${SEGMENT_DIMENSIONS.join(', ')}`,
              schema: { type: 'string' },
              example: 'country,customerType',
            },
            {
              name: 'from',
              in: 'query',
              required: false,
              description:
                'First event-time day of the signal counts (YYYY-MM-DD, or an ISO-8601 UTC instant)',
              schema: { type: 'string' },
            },
            {
              name: 'to',
              in: 'query',
              required: false,
              description: 'Last event-time day of the signal counts, inclusive',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': {
              description: 'The figures, grouped',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/Segments' } },
              },
            },
            '400': errorBody('An unknown dimension in `by`, a bad day, or from after to'),
            '401': errorBody('Missing or unknown read key'),
            '503': errorBody('Redis or the Kafka metadata is unavailable'),
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'The process is alive',
          security: [],
          responses: { '200': { description: 'alive' } },
        },
      },
      '/readyz': {
        get: {
          summary: 'Redis answers and the partition count is known',
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
