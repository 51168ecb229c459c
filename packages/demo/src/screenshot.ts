// Screenshot of a demo report, for docs/demo-report.png (not a test):
//   npx pulse demo && npx tsx packages/demo/src/screenshot.ts [demo-report.html] [docs/demo-report.png]
// Renders the page in headless Chromium (see chromium.ts), checks that the charts were drawn,
// and writes a full-page PNG.
import { resolve } from 'node:path';
import { launchChromium, renderReport } from './chromium.ts';

const [input = 'demo-report.html', output = 'docs/demo-report.png'] = process.argv.slice(2);
const browser = await launchChromium();
try {
  const rendered = await renderReport(browser, resolve(input), resolve(output));
  if (rendered.timelineAreas === 0 || rendered.activityBars === 0 || rendered.errors.length > 0) {
    throw new Error(`the report did not render properly: ${JSON.stringify(rendered)}`);
  }
  process.stdout.write(`${resolve(output)}\n`);
} finally {
  await browser.close();
}
