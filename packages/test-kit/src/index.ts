// @pulse/test-kit: deterministic synthetic customers for unit tests, integration tests, the
// benchmark and the demo.
export { mulberry32, deriveSeed, randomInt, type Random } from './random.ts';
export { MinHeap } from '@pulse/core';
export {
  customerEventList,
  customerEvents,
  type CustomerScript,
  type RhythmSegment,
} from './customer-script.ts';
export {
  ARCHETYPES,
  generatePopulation,
  type Archetype,
  type CustomerTruth,
  type Population,
  type PopulationOptions,
} from './population.ts';
export { simulateHistories, type SimulatedHistoriesOptions } from './buy-till-you-die.ts';
