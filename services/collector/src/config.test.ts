import { describe, expect, it } from 'vitest';
import { collectorConfigFromEnv, parseCorsOrigins } from './config.ts';

const keys = 'shop:shop-key-0123456789,orders:orders-key-0123456789';

describe('CORS origins', () => {
  it('reads origins for every key and source=origin entries for one source', () => {
    expect(
      parseCorsOrigins(
        'https://status.example, shop=https://shop.example,shop=http://127.0.0.1:8090,*',
      ),
    ).toEqual({
      corsOrigins: ['https://status.example', '*'],
      sourceOrigins: { shop: ['https://shop.example', 'http://127.0.0.1:8090'] },
    });
  });

  it('stops at start-up on an origin that can never match, or a source without a key', () => {
    const config = (origins: string) =>
      collectorConfigFromEnv({
        PULSE_COLLECTOR_WRITE_KEYS: keys,
        PULSE_COLLECTOR_CORS_ORIGINS: origins,
      });
    expect(config('shop=https://shop.example').sourceOrigins).toEqual({
      shop: ['https://shop.example'],
    });
    // The Origin header never ends with a slash nor carries a path.
    expect(() => config('https://shop.example/')).toThrow(/corsOrigins.0: must be an origin/);
    expect(() => config('shop=https://shop.example/cart')).toThrow(/sourceOrigins.shop.0/);
    expect(() => config('blog=https://blog.example')).toThrow(
      /names the source "blog", which has no write key/,
    );
  });
});
