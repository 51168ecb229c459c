// The bundles a page loads, built with esbuild from classic.ts (an IIFE that sets
// `window.pulse`) and module.ts (an ES module). Built in memory: the collector builds them at
// start-up to serve GET /v1/tracker.js, `npm run build -w @pulse/tracker` writes them to dist/
// for sites that host the file themselves, and the size test measures them — one build, three
// uses, never a stale copy.
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';

export interface TrackerBundle {
  /** File name under dist/ and path segment the collector serves it at. */
  fileName: string;
  code: string;
  bytes: number;
  /** Size over the wire with gzip at level 9 (what the size budget limits). */
  gzipBytes: number;
}

export interface TrackerBundles {
  classic: TrackerBundle;
  module: TrackerBundle;
}

/** The language level of the bundle: ES2020 runs in every browser released since 2020 (Chrome and Edge 80, Firefox 74, Safari 13.1). */
export const BUNDLE_TARGET = 'es2020';

const SOURCE_DIR = fileURLToPath(new URL('.', import.meta.url));

async function bundle(entry: string, format: 'iife' | 'esm', fileName: string) {
  const options: BuildOptions = {
    entryPoints: [`${SOURCE_DIR}${entry}`],
    bundle: true,
    minify: true,
    format,
    target: BUNDLE_TARGET,
    platform: 'browser',
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  };
  const result = await build(options);
  const code = result.outputFiles?.[0]?.text;
  if (code === undefined) throw new Error(`esbuild produced no output for ${entry}`);
  return {
    fileName,
    code,
    bytes: Buffer.byteLength(code),
    gzipBytes: gzipSync(code, { level: 9 }).length,
  };
}

export async function buildTrackerBundles(): Promise<TrackerBundles> {
  const [classic, module] = await Promise.all([
    bundle('classic.ts', 'iife', 'tracker.js'),
    bundle('module.ts', 'esm', 'tracker.mjs'),
  ]);
  return { classic, module };
}
