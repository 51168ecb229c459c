// Every tunable number of the rules, in one zod schema with its default and the reason for it.
// The README repeats the table; keep the two in step. Units are in the names.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RulesConfigError } from './errors.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const positive = () => z.number().finite().positive();

/**
 * The rules of segments.ts: which behavioural segment a customer is in and their latency band.
 * No quintiles: every threshold is absolute or relative to the customer's own rhythm, so a
 * customer's segment does not move because other customers did, and a partition's figures add
 * up to the namespace's.
 */
export const segmentSettingsSchema = z
  .object({
    /** `new`: first seen fewer than this many days ago. */
    newCustomerDays: z.number().int().min(1).max(365).default(30),
    /** `reactivated`: back from a lapse, the return fewer than this many days ago. */
    reactivatedDays: z.number().int().min(1).max(365).default(30),
    /** `at_risk`: an active customer silent for at least this fraction of their hurdle. */
    atRiskHurdleFraction: z.number().finite().gt(0).lt(1).default(0.6),
    /** `high_value`: an active customer with at least this many purchases in 365 days … */
    highValueMinPurchases365d: z.number().int().min(1).max(10_000).default(6),
    /**
     * … or at least this spend in 365 days, in minor units of their primary currency, per ISO
     * 4217 code ({"EUR": 50000}); a currency not listed has no spend threshold.
     */
    highValueMinSpend365dMinor: z
      .record(z.string().regex(/^[A-Z]{3}$/), z.number().int().positive())
      .default({})
      // Sorted, so two files listing the same currencies in another order are the same rules.
      .transform((byCurrency) =>
        Object.fromEntries(Object.entries(byCurrency).sort(([a], [b]) => (a < b ? -1 : 1))),
      ),
    /** Latency bands by the usual gap between active days: `daily` up to this many days … */
    dailyMaxLatencyDays: z.number().finite().positive().max(365).default(1.5),
    /** … `weekly` up to this … */
    weeklyMaxLatencyDays: z.number().finite().positive().max(365).default(10),
    /** … `monthly` up to this, `occasional` beyond. */
    monthlyMaxLatencyDays: z.number().finite().positive().max(730).default(45),
    /** A latency band needs a usual latency resting on at least this many gaps. */
    minGapsForLatencyBand: z.number().int().min(1).max(64).default(4),
  })
  .strict()
  .superRefine((settings, context) => {
    if (
      settings.dailyMaxLatencyDays >= settings.weeklyMaxLatencyDays ||
      settings.weeklyMaxLatencyDays >= settings.monthlyMaxLatencyDays
    ) {
      context.addIssue({
        code: 'custom',
        path: ['weeklyMaxLatencyDays'],
        message:
          'latency bands must grow: dailyMaxLatencyDays < weeklyMaxLatencyDays < monthlyMaxLatencyDays',
      });
    }
  });

export type SegmentSettings = z.infer<typeof segmentSettingsSchema>;

export const rulesConfigSchema = z
  .object({
    /** Events up to this much older than the partition's newest event still count as on time. */
    allowedLatenessMs: z
      .number()
      .int()
      .min(0)
      .max(30 * DAY_MS)
      .default(2 * DAY_MS),
    /** Events stamped further than this ahead of the reference wall clock are rejected. */
    futureToleranceMs: z
      .number()
      .int()
      .min(0)
      .max(7 * DAY_MS)
      .default(HOUR_MS),
    /** How many of the newest event ids a profile remembers to drop tracker retries. */
    dedupMemorySize: z.number().int().min(1).max(1024).default(32),
    /** Gaps between active days the activity latency rests on (the newest K+1 active days). */
    activityGapsKept: z.number().int().min(2).max(64).default(16),
    /** Gaps between purchase days the purchase latency rests on. */
    purchaseGapsKept: z.number().int().min(2).max(64).default(8),
    /** A customer needs this many active days before they have a rhythm that can lapse. */
    minActiveDaysForRhythm: z.number().int().min(3).max(65).default(5),
    /** Hurdle = max(centre + k × spread, m × centre): this is k. */
    hurdleSpreadMultiplier: z.number().finite().min(0).max(20).default(3),
    /** Hurdle = max(centre + k × spread, m × centre): this is m. */
    hurdleCentreMultiplier: z.number().finite().min(1).max(20).default(2.5),
    /**
     * Personal hurdle, memoryless part: the customer's gaps as a gamma distribution (mean and
     * shape from their own gaps, the shape pulled towards 1 = memoryless while gaps are few), and
     * the hurdle at least this quantile of it. A visitor whose gaps are close to memoryless then
     * waits about 5 mean gaps instead of centre + 3 × spread (about 3), which their silences
     * crossed by chance every few weeks.
     */
    hurdleQuantile: z.number().finite().gt(0.5).lt(1).default(0.999),
    /** Gaps' worth of weight the memoryless shape (1) has beside the customer's own gaps. */
    shapePriorGaps: z.number().finite().min(0).max(100).default(2),
    /** Population hurdle of a step: this quantile of the population's gaps at that step. */
    populationHurdleQuantile: z.number().finite().gt(0).lt(1).default(0.95),
    /**
     * Shrinkage: with n own gaps the hurdle is w × personal + (1 − w) × population with
     * w = n / (n + n0); this is n0.
     */
    populationPriorGaps: z.number().finite().min(0).max(100).default(1),
    /**
     * How the hurdle and the purchase model's P(alive) deadline make a lapse: 'hurdle' or
     * 'model' alone, 'earlier' (whichever comes first), 'later' (both must agree). Either
     * missing (no population or model yet) → the other alone.
     */
    lapseRule: z.enum(['hurdle', 'model', 'earlier', 'later']).default('hurdle'),
    /** The model's deadline: when P(alive) falls below this. */
    aliveThreshold: z.number().finite().gt(0).lt(1).default(0.5),
    /** Horizon of the risk score: P(no activity in the next this many days). */
    riskHorizonDays: positive().max(730).default(90),
    /** No customer lapses after fewer silent days than this (a long weekend off is not a lapse). */
    minHurdleDays: positive().max(365).default(4),
    /** Every customer with a rhythm lapses after this many silent days at most. */
    maxHurdleDays: positive().max(730).default(90),
    /** 'all': every ready-to-buy reason must hold; 'any': one is enough. */
    readyToBuyRequires: z.enum(['all', 'any']).default('all'),
    /** Days after a ready-to-buy signal during which no other one fires for the customer. */
    readyToBuyCooldownDays: z.number().int().min(0).max(365).default(14),
    /** Acceleration: median of the last 3 gaps at most this fraction of the usual gap. */
    accelerationGapRatio: z.number().finite().gt(0).lt(1).default(0.5),
    /** Acceleration: active days in the last 7 at least this multiple of the usual weekly rate. */
    accelerationRateRatio: z.number().finite().gt(1).max(10).default(1.8),
    /** Acceleration by rate also needs at least this many active days in the last 7. */
    accelerationMinRecentActiveDays: z.number().int().min(1).max(7).default(3),
    /** The weekly baseline needs this many days of history before the last 7 days. */
    accelerationMinBaselineDays: z.number().int().min(7).max(83).default(28),
    /** The repurchase window needs at least this many gaps between purchase days. */
    minPurchaseGaps: z.number().int().min(1).max(64).default(3),
    /** The repurchase window opens at this fraction of the usual purchase gap. */
    repurchaseWindowStartFraction: z.number().finite().gt(0).max(5).default(0.8),
    /** ...and closes at this fraction (beyond it the customer is overdue, not about to buy). */
    repurchaseWindowEndFraction: z.number().finite().gt(0).max(10).default(2),
    /**
     * With a purchase model: expected active days in the next readyToBuyHorizonDays at or above
     * this are a reason to be ready to buy (as visit acceleration is), so a customer who only
     * buys can be.
     */
    readyToBuyExpectedPurchases: z.number().finite().gt(0).max(100).default(1),
    readyToBuyHorizonDays: positive().max(365).default(30),
    /** Behavioural segments and latency bands (segments.ts); they describe, they never decide. */
    segments: segmentSettingsSchema.prefault({}),
  })
  .strict()
  .superRefine((config, context) => {
    const problem = (path: string, message: string) =>
      context.addIssue({ code: 'custom', path: [path], message });
    if (config.minHurdleDays > config.maxHurdleDays) {
      problem('minHurdleDays', 'minHurdleDays must not exceed maxHurdleDays');
    }
    if (config.repurchaseWindowStartFraction >= config.repurchaseWindowEndFraction) {
      problem(
        'repurchaseWindowStartFraction',
        'repurchaseWindowStartFraction must be below repurchaseWindowEndFraction',
      );
    }
    if (config.minActiveDaysForRhythm > config.activityGapsKept + 1) {
      problem(
        'minActiveDaysForRhythm',
        'minActiveDaysForRhythm must not exceed activityGapsKept + 1 (the days a profile keeps)',
      );
    }
    if (config.minPurchaseGaps > config.purchaseGapsKept) {
      problem('minPurchaseGaps', 'minPurchaseGaps must not exceed purchaseGapsKept');
    }
  });

export type RulesConfig = z.infer<typeof rulesConfigSchema>;

export const defaultRulesConfig: RulesConfig = Object.freeze(rulesConfigSchema.parse({}));

/** Validate a (partial) configuration, filling defaults. Throws RulesConfigError naming the setting. */
export function parseRulesConfig(input: unknown): RulesConfig {
  const result = rulesConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const setting = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  const detail = issue?.message ?? 'invalid';
  const unknownKeys =
    issue?.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')} is not a setting)` : '';
  throw new RulesConfigError(setting, `invalid rules setting ${setting}: ${detail}${unknownKeys}`, {
    issues: result.error.issues.map((each) => ({
      path: each.path.join('.'),
      message: each.message,
    })),
  });
}

/**
 * A short id of the configuration that made a decision, carried by every signal. Same settings →
 * same id on every machine (keys sorted, numbers in their JSON form).
 */
const versionCache = new WeakMap<RulesConfig, string>();

export function rulesVersion(config: RulesConfig): string {
  const cached = versionCache.get(config);
  if (cached !== undefined) return cached;
  const canonical = Object.keys(config)
    .sort()
    .map((key) => `${key}=${JSON.stringify(config[key as keyof RulesConfig])}`)
    .join(';');
  const version = `r${createHash('sha256').update(canonical).digest('hex').slice(0, 12)}`;
  versionCache.set(config, version);
  return version;
}
