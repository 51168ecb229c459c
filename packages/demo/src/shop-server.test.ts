import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopServer, type ShopServer } from './shop-server.ts';

let shop: ShopServer;
beforeAll(async () => {
  shop = await startShopServer({
    collectorUrl: 'http://127.0.0.1:8080/',
    writeKey: 'shop-write-key-0123456789',
  });
});
afterAll(() => shop.close());

const get = async (path: string) => {
  const response = await fetch(new URL(path, shop.url), { redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
};

describe('the example shop server', () => {
  it('serves the pages with the collector and the write key filled in', async () => {
    const home = await get('/');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(home.text).toContain('<script src="http://127.0.0.1:8080/v1/tracker.js" defer>');
    expect(home.text).not.toContain('%PULSE_');
    const script = await get('/shop.js');
    expect(script.text).toContain("const WRITE_KEY = 'shop-write-key-0123456789';");
    expect(script.headers.get('content-security-policy')).toContain(
      "script-src 'self' http://127.0.0.1:8080",
    );
  });

  it("answers every cart route with the cart's single page", async () => {
    const cart = (await get('/cart/index.html')).text;
    for (const route of ['/cart/', '/cart/login', '/cart/shipping'])
      expect((await get(route)).text).toBe(cart);
    expect((await get('/cart')).headers.get('location')).toBe('/cart/');
  });

  it('serves nothing but the shop files', async () => {
    for (const path of ['/README.md', '/../package.json', '/%2e%2e/package.json', '/nope.html'])
      expect((await get(path)).status, path).toBe(404);
    const post = await fetch(shop.url, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
  });
});
