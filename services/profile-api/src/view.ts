// The profile as the API answers it: @pulse/core's derived view plus where it was read and the
// state of the customer's signals. The zod schema documents the answer (/openapi.json) and
// types it; a drift between it and core's ProfileView fails the type check in reader.ts.
import { CUSTOMER_SEGMENTS, LATENCY_BANDS } from '@pulse/core';
import { z } from 'zod';

const latency = z
  .object({
    centreDays: z.number().meta({ description: 'Usual days between active days (robust centre)' }),
    spreadDays: z.number(),
    gapsUsed: z.int(),
  })
  .nullable();

const epochMs = z.number().nullable();

export const profileResponseSchema = z.object({
  customerId: z.string(),
  namespace: z.string(),
  partition: z.int().min(0),
  asOfMs: z.number().meta({
    description:
      "Event time the derived values are computed at: the partition's stream time (newest " +
      'event time minus the allowed lateness), the clock the profiler decides on; or ?asOf=.',
  }),
  asOf: z.string(),
  asOfBasis: z.enum(['stream-time', 'requested']),
  timeZone: z.string().meta({
    description:
      "IANA time zone the customer's days are counted in (windows, days silent, lapse and " +
      "ready-to-buy decisions): the one stated at the latest event time; 'UTC' until one is.",
  }),
  status: z.enum(['active', 'lapsed', 'unknown']).meta({
    description: 'unknown: not enough history for a rhythm',
  }),
  usualLatency: latency,
  purchaseLatency: latency,
  daysSilent: z.int().nullable(),
  hurdleDays: z.number().nullable().meta({
    description: 'Silent days after which this customer counts as lapsed',
  }),
  dueAtMs: epochMs,
  windows: z.object({
    visits7d: z.int(),
    visits30d: z.int(),
    visits90d: z.int(),
    activeDays7d: z.int(),
    activeDays30d: z.int(),
    activeDays90d: z.int(),
    purchases30d: z.int(),
    purchases90d: z.int(),
    purchases365d: z.int(),
    spend30dMinor: z.int(),
    spend90dMinor: z.int(),
    spend365dMinor: z.int(),
    currency: z.string().nullable(),
  }),
  rfm: z.object({
    recencyDays: z.int().nullable(),
    frequency90d: z.int(),
    monetary365dMinor: z.int(),
  }),
  lifetime: z.object({
    visits: z.int(),
    purchases: z.int(),
    activeDays: z.int(),
    spend: z.array(z.object({ currency: z.string(), purchases: z.int(), spendMinor: z.int() })),
    lateEvents: z.int(),
    firstSeenMs: epochMs,
    lastVisitMs: epochMs,
    lastPurchaseMs: epochMs,
  }),
  traits: z
    .object({
      country: z.string().nullable(),
      region: z.string().nullable(),
      acquisitionSource: z.string().nullable(),
      acquisitionSourceFrom: z.enum(['traits', 'first-visit']).nullable().meta({
        description: "Stated on pulse.traits, or the source of the customer's first visit",
      }),
      customerType: z.string().nullable(),
      plan: z.string().nullable(),
      attributes: z.record(z.string(), z.string()),
    })
    .meta({
      description:
        'Who the customer is: the latest value stated for each trait on pulse.traits (by event ' +
        'time); null when none is known.',
    }),
  segment: z
    .object({
      segment: z.enum(CUSTOMER_SEGMENTS),
      latencyBand: z.enum(LATENCY_BANDS).nullable(),
    })
    .meta({
      description:
        "Behavioural segment and latency band as of asOf, from the customer's own rhythm " +
        '(the same rules as the live segment figures).',
    }),
  lapseEpisodes: z.int(),
  openEpisodeSinceMs: epochMs,
  readyToBuySignals: z.int(),
  lastReadyToBuyDay: z.int().nullable(),
  lastSignals: z
    .object({
      lapse: z
        .object({
          kind: z.enum(['lapsed', 'reactivated']),
          episode: z.int().min(1),
          sinceMs: epochMs,
        })
        .nullable(),
      readyToBuy: z.object({ count: z.int().min(1), lastDay: z.string() }).nullable(),
    })
    .meta({
      description:
        "The latest signal decided for the customer, from the profile's own state: the open " +
        'or last closed lapse episode, and the day of the last ready-to-buy.',
    }),
});

export type ProfileResponse = z.infer<typeof profileResponseSchema>;

export const errorResponseSchema = z.object({ error: z.string(), message: z.string() });
