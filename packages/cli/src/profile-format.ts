import type { ProfileView, SegmentOfCustomer, TraitsView } from '@pulse/core';

export interface ProfileLocation {
  namespace: string;
  partition: number;
  /** The partition's stream time the view is derived at (null: no clock yet). */
  streamTimeMs: number | null;
}

function iso(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toISOString();
}

function days(value: number | null, digits = 1): string {
  return value === null ? '—' : `${value.toFixed(digits)} days`;
}

/** `pulse profile` for humans: the derived values first, the raw counters after. */
export function formatProfileView(
  view: ProfileView,
  where: ProfileLocation,
  who?: { traits: TraitsView; segment: SegmentOfCustomer },
): string {
  const latency = view.usualLatency;
  const purchase = view.purchaseLatency;
  const rows: [string, string][] = [
    ['customer', view.customerId],
    ['namespace', `${where.namespace} (partition ${where.partition})`],
    ['as of', `${iso(view.asOfMs)} (stream time)`],
    ['time zone', `${view.timeZone} (where the customer's day starts)`],
    ['status', view.status],
    ...(who
      ? ([
          [
            'segment',
            `${who.segment.segment}${who.segment.latencyBand ? `, ${who.segment.latencyBand}` : ''}`,
          ],
          [
            'traits',
            [
              who.traits.country,
              who.traits.region,
              who.traits.customerType,
              who.traits.plan,
              who.traits.acquisitionSource === null ? null : `from ${who.traits.acquisitionSource}`,
              ...Object.entries(who.traits.attributes).map(([name, value]) => `${name}=${value}`),
            ]
              .filter((part) => part !== null)
              .join(', ') || '— (none stated)',
          ],
        ] as [string, string][])
      : []),
    [
      'usual latency',
      latency
        ? `${days(latency.centreDays)} ± ${latency.spreadDays.toFixed(1)} (${latency.gapsUsed} gaps)`
        : '— (no rhythm yet)',
    ],
    [
      'purchase latency',
      purchase
        ? `${days(purchase.centreDays)} ± ${purchase.spreadDays.toFixed(1)} (${purchase.gapsUsed} gaps)`
        : '—',
    ],
    ['days silent', view.daysSilent === null ? '—' : String(view.daysSilent)],
    ['hurdle', days(view.hurdleDays)],
    ['due at', iso(view.dueAtMs)],
    ['open lapse since', iso(view.openEpisodeSinceMs)],
    ['lapse episodes', String(view.lapseEpisodes)],
    ['ready-to-buy sent', String(view.readyToBuySignals)],
    [
      'visits',
      `${view.lifetime.visits} lifetime on ${view.lifetime.activeDays} active days; ` +
        `last ${iso(view.lifetime.lastVisitMs)}`,
    ],
    [
      'purchases',
      `${view.lifetime.purchases} lifetime; last ${iso(view.lifetime.lastPurchaseMs)}` +
        (view.lifetime.spend.length > 0
          ? `; spend ${view.lifetime.spend
              .map((total) => `${(total.spendMinor / 100).toFixed(2)} ${total.currency}`)
              .join(', ')}`
          : ''),
    ],
    ['first seen', iso(view.lifetime.firstSeenMs)],
    ['late events', String(view.lifetime.lateEvents)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') + '\n';
}
