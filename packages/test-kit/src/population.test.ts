import { describe, expect, it } from 'vitest';
import { customerEventList } from './customer-script.ts';
import { generatePopulation } from './population.ts';
import { mulberry32 } from './random.ts';

const START_MS = Date.UTC(2024, 0, 1);
const DAY_MS = 86_400_000;
const options = { customers: 60, startMs: START_MS, durationDays: 120, seed: 5 };

describe('synthetic population', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const first = [...generatePopulation(options).events()];
    expect([...generatePopulation(options).events()]).toEqual(first);
    expect([...generatePopulation({ ...options, seed: 6 }).events()]).not.toEqual(first);
    expect(mulberry32(1)()).toBe(mulberry32(1)());
  });

  it('emits events sorted by time, with unique ids, inside the requested span', () => {
    const events = [...generatePopulation(options).events()];
    expect(events.length).toBeGreaterThan(1_000);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
    events.forEach((event, index) => {
      if (index > 0)
        expect(event.occurredAtMs).toBeGreaterThanOrEqual(events[index - 1]!.occurredAtMs);
      expect(event.occurredAtMs).toBeGreaterThanOrEqual(START_MS);
      expect(event.occurredAtMs).toBeLessThan(START_MS + options.durationDays * DAY_MS);
    });
  });

  it('keeps every shuffled event within the bound of the newest one delivered before it', () => {
    // Invariant: with shuffleWithinMs <= allowed lateness no event is late, so tests of "out of
    // order gives the same profile" really test reordering and not lateness.
    const boundMs = 2 * DAY_MS;
    const shuffled = [...generatePopulation({ ...options, shuffleWithinMs: boundMs }).events()];
    let newestMs = -Infinity;
    let outOfOrder = 0;
    for (const event of shuffled) {
      expect(event.occurredAtMs).toBeGreaterThan(newestMs - boundMs);
      if (event.occurredAtMs < newestMs) outOfOrder += 1;
      newestMs = Math.max(newestMs, event.occurredAtMs);
    }
    expect(outOfOrder).toBeGreaterThan(0);
    const sortedIds = (list: typeof shuffled) => list.map((event) => event.eventId).sort();
    expect(sortedIds(shuffled)).toEqual(sortedIds([...generatePopulation(options).events()]));
  });

  it('tells the truth about silences: no event of a lapser inside their silence', () => {
    const population = generatePopulation({ ...options, lapseShare: 0.5, returnShare: 0.5 });
    const lapsers = population.customers.filter((customer) => customer.silentFromMs !== null);
    expect(lapsers.length).toBeGreaterThan(10);
    expect(lapsers.some((customer) => customer.returnsAtMs !== null)).toBe(true);
    for (const customer of lapsers) {
      const silentUntilMs = customer.returnsAtMs ?? Infinity;
      const during = customerEventList(customer.script).filter(
        (event) =>
          event.occurredAtMs >= customer.silentFromMs! && event.occurredAtMs < silentUntilMs,
      );
      expect(during).toEqual([]);
    }
    const archetypes = new Set(population.customers.map((customer) => customer.archetype));
    expect(archetypes).toEqual(new Set(['daily', 'weekly', 'monthly', 'irregular']));
  });

  it('generates lazily: the first events of a large population come without building it all', () => {
    const population = generatePopulation({ ...options, customers: 20_000, durationDays: 3650 });
    const iterator = population.events();
    const firstHundred = Array.from({ length: 100 }, () => iterator.next().value);
    expect(firstHundred.every((event) => event !== undefined)).toBe(true);
  });
});
