export {
  parseProfileApiConfig,
  profileApiConfigFromEnv,
  profileApiDefaults,
  readKeysSchema,
  ReadKeyRing,
  type ProfileApiConfig,
  type ReadKey,
} from './config.ts';
export { runProfileApi } from './main.ts';
export { ProfileApiMetrics } from './metrics.ts';
export { profileApiOpenApi } from './openapi.ts';
export { PartitionCount } from './partition-count.ts';
export { startProfileApi, type ProfileApi, type ProfileApiOptions } from './profile-api.ts';
export { ProfileReader, type ReaderSettings } from './reader.ts';
export { buildProfileApiServer, type ProfileApiServerOptions } from './server.ts';
export { profileResponseSchema, type ProfileResponse } from './view.ts';
export {
  parseDay,
  readSegments,
  segmentsAnswer,
  segmentsResponseSchema,
  type SegmentsResponse,
} from './segments.ts';
