// @pulse/contracts: the wire contract of Pulse. Schemas, validation, encodings, registration.
// No business rules (packages/core) and no Kafka consumption (services/) live here.
export * from './limits.ts';
export * from './identifier.ts';
export * from './errors.ts';
export * from './timestamp.ts';
export * from './time-zone.ts';
export * from './wire.ts';
export * from './domain.ts';
export * from './catalog.ts';
export * from './dead-letter.ts';
export * from './confluent-frame.ts';
export * from './event-decoder.ts';
export * from './encoders.ts';
export * from './registration.ts';
export * from './compatibility-explainer.ts';
export { describeIssues } from './validation-messages.ts';
