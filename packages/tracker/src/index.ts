export { installTracker, type BrowserGlobals } from './browser.ts';
export {
  createTracker,
  type Tracker,
  type TrackerEnvironment,
  type TrackerOptions,
  type TrackerResponse,
  type VisitDetails,
  type VisitEvent,
} from './tracker.ts';
