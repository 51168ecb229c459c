import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TrackerBundle, TrackerBundles } from '@pulse/tracker';

/** The tracker bundles as the collector serves them: bytes and a strong ETag each. */
export interface TrackerScripts {
  classic: ServedScript;
  module: ServedScript;
}

interface ServedScript {
  body: Buffer;
  etag: string;
  gzipBytes: number;
}

/**
 * How long a browser (or CDN) keeps the script without asking again. An hour: a new tracker
 * reaches every page within the hour, an unchanged one costs a 304 per visitor per hour, and a
 * page loaded during a short collector outage still finds the script in its cache.
 */
export const TRACKER_MAX_AGE_SECONDS = 3_600;

function served(bundle: TrackerBundle): ServedScript {
  const body = Buffer.from(bundle.code, 'utf8');
  const digest = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  return { body, etag: `"${digest}"`, gzipBytes: bundle.gzipBytes };
}

export function trackerScripts(bundles: TrackerBundles): TrackerScripts {
  return { classic: served(bundles.classic), module: served(bundles.module) };
}

/** If-None-Match carries this ETag (or `*`): the cached copy is current. */
function stillCurrent(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
}

function send(request: FastifyRequest, reply: FastifyReply, script: ServedScript): FastifyReply {
  // Public code, loaded by <script> from any site: no write key, any origin (module scripts
  // are fetched with CORS), embeddable by pages that isolate themselves (CORP).
  reply
    .header('access-control-allow-origin', '*')
    .header('cross-origin-resource-policy', 'cross-origin')
    .header('cache-control', `public, max-age=${TRACKER_MAX_AGE_SECONDS}`)
    .header('etag', script.etag)
    .header('x-content-type-options', 'nosniff');
  reply.removeHeader('vary');
  reply.removeHeader('access-control-expose-headers');
  if (stillCurrent(request, script.etag)) return reply.code(304).send();
  return reply.type('text/javascript; charset=utf-8').send(script.body);
}

/** GET /v1/tracker.js (classic script, `window.pulse`) and /v1/tracker.mjs (ES module). */
export function registerTrackerRoutes(
  app: FastifyInstance,
  scripts: TrackerScripts | undefined,
): void {
  for (const [path, pick] of [
    ['/v1/tracker.js', (all: TrackerScripts) => all.classic],
    ['/v1/tracker.mjs', (all: TrackerScripts) => all.module],
  ] as const) {
    app.get(path, async (request, reply) => {
      if (!scripts)
        return reply
          .code(404)
          .send({ error: 'not_found', message: 'this collector serves no tracker' });
      return send(request, reply, pick(scripts));
    });
  }
}
