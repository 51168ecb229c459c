// `npm run build -w @pulse/tracker`: writes dist/tracker.js (classic script, `window.pulse`) and
// dist/tracker.mjs (ES module) and prints their sizes. Nothing else needs dist/: the collector
// and the tests build in memory.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildTrackerBundles } from './build.ts';

const distDir = fileURLToPath(new URL('../dist/', import.meta.url));
mkdirSync(distDir, { recursive: true });
for (const bundle of Object.values(await buildTrackerBundles())) {
  writeFileSync(`${distDir}${bundle.fileName}`, bundle.code);
  process.stdout.write(
    `dist/${bundle.fileName}: ${bundle.bytes} bytes, ${bundle.gzipBytes} bytes gzipped\n`,
  );
}
