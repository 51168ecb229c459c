// Reading a purchase or visit log from CSV. The header names the columns (any order, extra
// columns ignored): customerId, occurredAt (ISO date or date-time; a date alone is the start of
// that UTC day), and for purchases amount (decimal, major units) or amountMinor (integer), and
// optionally currency (default USD), eventId and orderId. A bad line is an error naming the file,
// the line and the column, never a silent skip.
import type { CustomerEvent } from '@pulse/core';

export class LogFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogFormatError';
  }
}

/** Split one CSV line (RFC 4180 quoting: "a ""quoted"", value"). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index]!;
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  fields.push(field);
  return fields.map((value) => value.trim());
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** ms since the epoch of an ISO date (start of the UTC day) or date-time (with zone; Z if none). */
export function parseInstant(text: string): number | null {
  if (DATE_ONLY.test(text)) {
    const ms = Date.parse(`${text}T00:00:00Z`);
    return Number.isNaN(ms) ? null : ms;
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return null;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? null : ms;
}

/** Decimal major units → integer minor units, exactly (no float rounding): "29.33" → 2933. */
export function toMinorUnits(text: string): number | null {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) return null;
  const cents = (match[2] ?? '').padEnd(2, '0');
  return Number(match[1]) * 100 + Number(cents);
}

export function parseLog(
  text: string,
  kind: 'purchase' | 'visit',
  source: string,
): CustomerEvent[] {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '');
  const column = (name: string) => header.indexOf(name);
  const fail = (line: number, message: string): never => {
    throw new LogFormatError(`${source}:${line}: ${message}`);
  };
  for (const required of ['customerId', 'occurredAt']) {
    if (column(required) < 0) fail(1, `the header has no ${required} column`);
  }
  const amountColumn = column('amount');
  const amountMinorColumn = column('amountMinor');
  if (kind === 'purchase' && amountColumn < 0 && amountMinorColumn < 0) {
    fail(1, 'a purchase log needs an amount (major units) or amountMinor column');
  }
  const events: CustomerEvent[] = [];
  for (let index = 1; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (line.trim() === '') continue;
    const fields = splitCsvLine(line);
    const value = (name: string) => {
      const at = column(name);
      return at < 0 ? undefined : fields[at];
    };
    const lineNumber = index + 1;
    const customerId = value('customerId') ?? '';
    if (customerId === '') fail(lineNumber, 'customerId is empty');
    const occurredAt = value('occurredAt') ?? '';
    const occurredAtMs = parseInstant(occurredAt);
    if (occurredAtMs === null) {
      fail(lineNumber, `occurredAt "${occurredAt}" is not an ISO date or date-time`);
    }
    const eventId = value('eventId') || `${source}#${lineNumber}`;
    if (kind === 'visit') {
      events.push({ kind: 'visit', eventId, customerId, occurredAtMs: occurredAtMs! });
      continue;
    }
    let amountMinor: number | null;
    if (amountMinorColumn >= 0 && value('amountMinor') !== '') {
      amountMinor = /^\d+$/.test(value('amountMinor')!) ? Number(value('amountMinor')) : null;
    } else amountMinor = toMinorUnits(value('amount') ?? '');
    if (amountMinor === null || !Number.isSafeInteger(amountMinor)) {
      fail(
        lineNumber,
        'amount must be a non-negative decimal with at most 2 decimals (or amountMinor an integer)',
      );
    }
    events.push({
      kind: 'purchase',
      eventId,
      customerId,
      occurredAtMs: occurredAtMs!,
      orderId: value('orderId') || eventId,
      amountMinor: amountMinor!,
      currency: value('currency') || 'USD',
    });
  }
  return events;
}
