// The example shop's tiny static server (`pulse shop`, and `pulse demo --keep`): the files of
// examples/shop, read once at start-up, with the collector's address and the write key filled
// in. Only the files found at start-up are ever served (a fixed map, no path from the request
// reaches the file system), and the cart's routes answer with the cart's single page.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHOP_ROOT = fileURLToPath(new URL('../../../examples/shop/', import.meta.url));

/** The customer id the shop's login suggests (what `pulse profile` is then asked about). */
export const SHOP_DEMO_CUSTOMER = 'demo-shopper';

export interface ShopServerOptions {
  /** The collector's base URL as the browser reaches it, e.g. http://127.0.0.1:8080 */
  collectorUrl: string;
  writeKey: string;
  host?: string;
  /** 0: any free port. */
  port?: number;
  root?: string;
}

export interface ShopServer {
  url: string;
  port: number;
  /** The browser origin of the shop (what the collector's CORS list must name). */
  origin: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Cart routes (/cart/, /cart/login …) are one page; anything with a dot is a file. */
const CART_ROUTE = /^\/cart\/[a-z-]*$/;

function filesUnder(root: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && CONTENT_TYPES[extname(entry.name)] !== undefined)
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The shop's files by URL path, with the placeholders filled in. */
export function shopFiles(
  options: Pick<ShopServerOptions, 'collectorUrl' | 'writeKey' | 'root'>,
): Map<string, { body: Buffer; type: string }> {
  const root = options.root ?? SHOP_ROOT;
  const collectorUrl = options.collectorUrl.replace(/\/+$/, '');
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const file of filesUnder(root)) {
    const text = readFileSync(file, 'utf8')
      .replaceAll('%PULSE_COLLECTOR_URL%', collectorUrl)
      .replaceAll('%PULSE_WRITE_KEY%', options.writeKey);
    const path = `/${relative(root, file).split(sep).join('/')}`;
    files.set(path, {
      body: Buffer.from(text, 'utf8'),
      type: CONTENT_TYPES[extname(file)] as string,
    });
  }
  return files;
}

export async function startShopServer(options: ShopServerOptions): Promise<ShopServer> {
  const files = shopFiles(options);
  const collectorOrigin = new URL(options.collectorUrl).origin;
  // What a shop that loads the tracker from its collector allows: scripts from itself and the
  // collector, requests to the collector, nothing inline.
  const contentSecurityPolicy = [
    "default-src 'self'",
    `script-src 'self' ${collectorOrigin}`,
    `connect-src ${collectorOrigin}`,
    "style-src 'self'",
    "img-src 'self' data:",
  ].join('; ');

  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://shop').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/cart') {
      response.writeHead(301, { location: '/cart/' }).end();
      return;
    }
    const file =
      path === '/'
        ? files.get('/index.html')
        : CART_ROUTE.test(path)
          ? files.get('/cart/index.html')
          : files.get(path);
    const headers = {
      'cache-control': 'no-cache',
      'content-security-policy': contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
    };
    if (!file) {
      response
        .writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' })
        .end('not found\n');
      return;
    }
    response.writeHead(200, {
      ...headers,
      'content-type': file.type,
      'content-length': file.body.length,
    });
    response.end(request.method === 'HEAD' ? undefined : file.body);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const origin = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return {
    url: `${origin}/`,
    port,
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
