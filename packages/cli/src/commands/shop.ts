import { InvalidArgumentError, type Command } from 'commander';
import { examples, paragraphs } from '../help-text.ts';

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
    throw new InvalidArgumentError('expected a port number (0 = any free port)');
  }
  return parsed;
}

function baseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    return url.origin;
  } catch {
    throw new InvalidArgumentError('expected the http(s) URL of a collector');
  }
}

export function registerShopCommand(program: Command): void {
  program
    .command('shop')
    .summary('serve the example shop (it loads the tracker)')
    .description(
      paragraphs(
        'Serves the example shop (examples/shop: a product list, product pages and a ' +
          'single-page cart with a demo login) on a local port until Ctrl-C. Every page loads ' +
          'the Pulse tracker from the collector at --collector and sends its visits there with ' +
          'the write key (--write-key, or PULSE_SHOP_WRITE_KEY).',
        "The collector must allow the shop's origin for that key: " +
          "PULSE_COLLECTOR_CORS_ORIGINS=<source>=<the shop's origin>, as printed at start. " +
          'Open the printed address, accept, log in as demo-shopper, click around, then run ' +
          '`npx pulse profile demo-shopper`. `npx pulse demo --keep` starts one for you.',
      ),
    )
    .option('--port <port>', 'port to listen on (0 = any free port)', port, 8090)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--collector <url>',
      'the collector as the browser reaches it',
      baseUrl,
      'http://127.0.0.1:8080',
    )
    .option(
      '--write-key <key>',
      'the write key the pages send with (default: PULSE_SHOP_WRITE_KEY)',
    )
    .addHelpText(
      'after',
      examples(
        'PULSE_COLLECTOR_WRITE_KEYS=shop:shop-key-0123456789ab \\\n' +
          'PULSE_COLLECTOR_CORS_ORIGINS=shop=http://127.0.0.1:8090 \\\n' +
          'npx pulse run collector &',
        'npx pulse shop --write-key shop-key-0123456789ab',
      ),
    )
    .action(
      async (options: { port: number; host: string; collector: string; writeKey?: string }) => {
        const writeKey = options.writeKey ?? process.env.PULSE_SHOP_WRITE_KEY;
        if (!writeKey) {
          throw new Error(
            'no write key: pass --write-key <key> or set PULSE_SHOP_WRITE_KEY (a key of PULSE_COLLECTOR_WRITE_KEYS)',
          );
        }
        const { startShopServer } = await import('@pulse/demo');
        const shop = await startShopServer({
          collectorUrl: options.collector,
          writeKey,
          host: options.host,
          port: options.port,
        });
        process.stdout.write(
          `example shop: ${shop.url} (tracker and events: ${options.collector})\n` +
            `the collector must allow this origin: PULSE_COLLECTOR_CORS_ORIGINS=<source>=${shop.origin}\n`,
        );
        await new Promise<void>((resolve) => {
          const stop = () => void shop.close().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      },
    );
}
