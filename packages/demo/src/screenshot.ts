// Screenshots of a demo report, for docs/demo-report.png and docs/demo-segments.png (not a test):
//   npx pulse demo && npx tsx packages/demo/src/screenshot.ts [demo-report.html] \
//     [docs/demo-report.png] [docs/demo-segments.png]
// Renders the page in headless Chromium (see chromium.ts), checks that the charts were drawn,
// and writes a full-page PNG.
import { resolve } from 'node:path';
import { launchChromium, renderReport } from './chromium.ts';

const [
  input = 'demo-report.html',
  output = 'docs/demo-report.png',
  segmentsOutput = 'docs/demo-segments.png',
] = process.argv.slice(2);
const browser = await launchChromium();
try {
  const rendered = await renderReport(
    browser,
    resolve(input),
    resolve(output),
    resolve(segmentsOutput),
  );
  if (
    rendered.timelineAreas === 0 ||
    rendered.activityBars === 0 ||
    rendered.segmentLines === 0 ||
    rendered.errors.length > 0
  ) {
    throw new Error(`the report did not render properly: ${JSON.stringify(rendered)}`);
  }
  process.stdout.write(`${resolve(output)}\n${resolve(segmentsOutput)}\n`);
} finally {
  await browser.close();
}
