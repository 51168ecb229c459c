import { Command } from 'ioredis';

/**
 * A script call written straight into the bytes Redis reads (RESP: an array of bulk strings),
 * in one buffer. A commit is thousands of arguments — a customer id and profile bytes per
 * profile, a score and an id per due time — and ioredis, given them as arguments, copies the
 * list four times (spread into the call, into EVALSHA's list, flattened, stringified) and
 * writes each through a string of its own: most of a drain's Redis-client time. Here each
 * argument is sized once and copied once.
 */
export type RespArg = string | Buffer | number;

const CRLF_0 = 13;
const CRLF_1 = 10;

function decimalDigits(value: number): number {
  let digits = 1;
  while (value >= 10) {
    value = Math.floor(value / 10);
    digits += 1;
  }
  return digits;
}

/** Writes a non-negative integer's decimal digits at `at`; returns the offset after them. */
function writeDecimal(target: Buffer, at: number, value: number): number {
  const end = at + decimalDigits(value);
  let cursor = end;
  do {
    cursor -= 1;
    target[cursor] = 48 + (value % 10);
    value = Math.floor(value / 10);
  } while (value > 0);
  return end;
}

/** Writes `<prefix><n>\r\n` (an array or bulk-string header); returns the offset after it. */
function writeHeader(target: Buffer, at: number, prefix: number, n: number): number {
  target[at] = prefix;
  const end = writeDecimal(target, at + 1, n);
  target[end] = CRLF_0;
  target[end + 1] = CRLF_1;
  return end + 2;
}

const ARRAY = 42; // '*'
const BULK = 36; // '$'

/** Scratch of the byte lengths of the arguments of one encoding. */
let lengths = new Int32Array(1024);

function byteLengthOf(arg: RespArg): number {
  if (typeof arg === 'string') return Buffer.byteLength(arg, 'utf8');
  if (typeof arg === 'number') return Buffer.byteLength(String(arg), 'utf8');
  return arg.length;
}

function writeArg(out: Buffer, at: number, arg: RespArg, length: number): number {
  at = writeHeader(out, at, BULK, length);
  if (typeof arg === 'string') at += out.write(arg, at, 'utf8');
  else if (typeof arg === 'number') at += out.write(String(arg), at, 'utf8');
  else at += arg.copy(out, at);
  out[at] = CRLF_0;
  out[at + 1] = CRLF_1;
  return at + 2;
}

/**
 * The RESP bytes of a command: its name, then the arguments of `head` and of `tail`, as one
 * array of bulk strings (two lists, so that a long tail is not copied into one).
 */
export function encodeCommand(
  name: string,
  head: readonly RespArg[],
  tail: readonly RespArg[],
): Buffer {
  const count = head.length + tail.length;
  if (lengths.length < count) lengths = new Int32Array(Math.max(count, 2 * lengths.length));
  let size = 1 + decimalDigits(count + 1) + 2;
  size += 1 + decimalDigits(name.length) + 2 + name.length + 2;
  for (let index = 0; index < count; index += 1) {
    const arg = index < head.length ? head[index]! : tail[index - head.length]!;
    const length = byteLengthOf(arg);
    lengths[index] = length;
    size += 1 + decimalDigits(length) + 2 + length + 2;
  }
  const out = Buffer.allocUnsafe(size);
  let at = writeHeader(out, 0, ARRAY, count + 1);
  at = writeHeader(out, at, BULK, name.length);
  at += out.write(name, at, 'latin1');
  out[at] = CRLF_0;
  out[at + 1] = CRLF_1;
  at += 2;
  for (let index = 0; index < head.length; index += 1) {
    at = writeArg(out, at, head[index]!, lengths[index]!);
  }
  for (let index = 0; index < tail.length; index += 1) {
    at = writeArg(out, at, tail[index]!, lengths[head.length + index]!);
  }
  if (at !== size) throw new Error(`RESP encoding wrote ${at} bytes of ${size}`);
  return out;
}

/**
 * An ioredis command whose bytes are written already. ioredis routes it (in a cluster, by the
 * keys among `routing`, the arguments up to the last key), queues it while reconnecting and
 * parses its reply as any other; only its encoding is skipped.
 */
export class PrebuiltCommand extends Command {
  constructor(
    name: string,
    routing: RespArg[],
    private readonly bytes: Buffer,
    replyEncoding: BufferEncoding | null,
  ) {
    super(name, routing, { replyEncoding });
  }

  override toWritable(): Buffer {
    return this.bytes;
  }
}
