// The files a page actually loads: built the way the collector builds them, within the size
// budget, working as a classic script and as an ES module, and stated truthfully in the README.
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTrackerBundles, type TrackerBundles } from './build.ts';

/** The budget: a tracker must not cost a page more than a small image. */
const GZIP_BUDGET_BYTES = 3 * 1024;

let bundles: TrackerBundles;
beforeAll(async () => {
  bundles = await buildTrackerBundles();
});

/** A window for the bundle to run in (its own realm: nothing of the test leaks in). */
function windowContext() {
  const posted: string[] = [];
  const context: Record<string, unknown> = {
    fetch: async (_url: string, init: { body: string }) => {
      posted.push(init.body);
      return { status: 202, headers: { get: () => null }, json: async () => ({ results: [] }) };
    },
    navigator: { sendBeacon: () => true },
    location: { pathname: '/products' },
    history: { pushState: () => undefined },
    document: { visibilityState: 'visible', addEventListener: () => undefined },
    addEventListener: () => undefined,
    crypto: { randomUUID: () => '2b0f9a2e-0000-4000-8000-000000000001' },
    setTimeout: (callback: () => void) => (callback(), 1),
    clearTimeout: () => undefined,
  };
  return { context, posted };
}

describe('tracker bundles', () => {
  it(`stay within ${GZIP_BUDGET_BYTES} bytes gzipped`, () => {
    expect(bundles.classic.gzipBytes).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
    expect(bundles.module.gzipBytes).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
  });

  it('are stated truthfully (within 5 %) in the package README and the project README', () => {
    for (const readme of ['../README.md', '../../../README.md']) {
      const text = readFileSync(new URL(readme, import.meta.url), 'utf8');
      const stated = /\*\*([\d,]+) bytes\s+gzipped\*\*/.exec(text)?.[1];
      expect(stated, `${readme} states "**N bytes gzipped**"`).toBeDefined();
      const statedBytes = Number(stated!.replace(/,/g, ''));
      const off = Math.abs(statedBytes - bundles.classic.gzipBytes) / bundles.classic.gzipBytes;
      expect(
        off,
        `${readme} says ${statedBytes}, the bundle is ${bundles.classic.gzipBytes}`,
      ).toBeLessThan(0.05);
    }
  });

  it('never mention a cookie', () => {
    expect(bundles.classic.code).not.toMatch(/cookie/i);
    expect(bundles.module.code).not.toMatch(/cookie/i);
  });

  it('classic: sets window.pulse, which tracks a page view', async () => {
    const { context, posted } = windowContext();
    runInNewContext(bundles.classic.code, context);
    const pulse = context.pulse as { init(options: object): void; pending(): number };
    expect(Object.keys(pulse).sort()).toEqual([
      'consent',
      'flush',
      'identify',
      'init',
      'pending',
      'visit',
    ]);
    pulse.init({
      endpoint: 'https://c.example/v1/events',
      writeKey: 'k'.repeat(16),
      customerId: 'c-1',
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(posted.map((body) => JSON.parse(body))).toEqual([
      {
        writeKey: 'k'.repeat(16),
        events: [
          {
            type: 'visit',
            eventId: '2b0f9a2e-0000-4000-8000-000000000001',
            customerId: 'c-1',
            occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
            page: '/products',
          },
        ],
      },
    ]);
  });

  it('module: exports the one page tracker by name and as default (it is window.pulse too)', async () => {
    const page = globalThis as { pulse?: unknown };
    try {
      const loaded = (await import(
        `data:text/javascript,${encodeURIComponent(bundles.module.code)}`
      )) as Record<string, unknown>;
      expect(loaded.default).toBe(page.pulse);
      expect(Object.keys(loaded).sort()).toEqual([
        'consent',
        'default',
        'flush',
        'identify',
        'init',
        'pending',
        'visit',
      ]);
      expect(loaded.init).toBe((page.pulse as Record<string, unknown>).init);
    } finally {
      delete page.pulse;
    }
  });
});
