// @pulse/demo: `pulse demo` — the whole system on real components, with a report.
export { demoDefaults, runDemo, type DemoIo, type DemoOptions, type DemoResult } from './demo.ts';
export { buildReport, type ReportData } from './report.ts';
export {
  explainSignal,
  formatProgress,
  formatSignalLine,
  formatSummary,
  type DemoSummary,
} from './format.ts';
export {
  buildScenario,
  CLOCK_CUSTOMER_PREFIX,
  DEMO_START_MS,
  FOUNDING_EXAMPLE_ID,
  type Scenario,
  type ScenarioOptions,
} from './scenario.ts';
export { canonicalSignals, signalsFingerprint, statusTimeline } from './timeline.ts';
export {
  SHOP_DEMO_CUSTOMER,
  SHOP_ROOT,
  shopFiles,
  startShopServer,
  type ShopServer,
  type ShopServerOptions,
} from './shop-server.ts';
