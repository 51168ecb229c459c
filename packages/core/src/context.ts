// What a decision may read besides the customer's profile and the rules: the population's
// latency hurdles and the fitted purchase model. Both are frozen, versioned snapshots chosen by
// the owner (the partition step) at event-time boundaries; a decision is a pure function of
// (profile, stream time, rules, context).
import type { PurchaseModelParameters } from './model/purchase-model.ts';
import type { PopulationHurdles } from './population.ts';

export interface FittedModel {
  /** Carried by signals: which fit made the decision. */
  version: string;
  /** α in days. */
  parameters: PurchaseModelParameters;
}

export interface DecisionContext {
  population?: PopulationHurdles | null;
  model?: FittedModel | null;
}

export const NO_CONTEXT: DecisionContext = Object.freeze({});
