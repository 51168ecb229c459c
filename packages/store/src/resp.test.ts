import fc from 'fast-check';
import { Command } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { encodeCommand, type RespArg } from './resp.ts';

/** What ioredis itself writes for the command (its own encoding, one buffer). */
function ioredisBytes(name: string, args: RespArg[]): Buffer {
  const written = new Command(name, args).toWritable(undefined as never);
  return Buffer.isBuffer(written) ? written : Buffer.from(written, 'utf8');
}

const argument = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.nat({ max: Number.MAX_SAFE_INTEGER }),
);

describe('encodeCommand', () => {
  it('writes the bytes ioredis would: text in UTF-8, bytes as they are, numbers in decimal', () => {
    const args: RespArg[] = [
      'ünïcødé-客户',
      '',
      Buffer.alloc(0),
      Buffer.from([0, 13, 10, 255]),
      0,
      1_712_345_678_000,
    ];
    expect(encodeCommand('evalsha', args.slice(0, 2), args.slice(2))).toEqual(
      ioredisBytes('evalsha', args),
    );
  });

  it('agrees with ioredis on any arguments, however split between head and tail', () => {
    fc.assert(
      fc.property(fc.array(argument, { maxLength: 30 }), fc.nat(), (args, cut) => {
        const at = args.length === 0 ? 0 : cut % (args.length + 1);
        expect(encodeCommand('eval', args.slice(0, at), args.slice(at))).toEqual(
          ioredisBytes('eval', args),
        );
      }),
    );
  });

  it('sizes a call of thousands of arguments in one buffer', () => {
    const args = Array.from({ length: 5_000 }, (_, index) =>
      index % 2 === 0 ? `customer-${index}` : Buffer.alloc(index % 200, index % 256),
    );
    expect(encodeCommand('evalsha', ['sha', 3], args)).toEqual(
      ioredisBytes('evalsha', ['sha', 3, ...args]),
    );
  });
});
