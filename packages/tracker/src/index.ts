// The package's TypeScript surface (tests, the collector's build). Pages load the bundles built
// from classic.ts and module.ts instead (see build.ts).
export { buildTrackerBundles, type TrackerBundle, type TrackerBundles } from './build.ts';
export { createPulse, type BrowserGlobals, type Pulse, type PulseOptions } from './page.ts';
export { STORAGE_KEYS, safeStorage, storedQueue, type KeyValueStorage } from './storage.ts';
export {
  createTracker,
  trackerDefaults,
  type EventStore,
  type Tracker,
  type TrackerEnvironment,
  type TrackerOptions,
  type TrackerRequest,
  type TrackerResponse,
  type VisitDetails,
  type VisitEvent,
} from './tracker.ts';
