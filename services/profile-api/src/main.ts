import { readFileSync } from 'node:fs';
import pino from 'pino';
import { loadConnectionEnv } from '@pulse/config';
import { defaultRulesConfig, parseRulesConfig } from '@pulse/core';
import { profileApiConfigFromEnv, type ProfileApiConfig } from './config.ts';
import { startProfileApi } from './profile-api.ts';

/** `pulse run profile-api`: serves until SIGTERM/SIGINT. Rules from PULSE_RULES_FILE, like the profiler. */
export async function runProfileApi(
  overrides: Partial<ProfileApiConfig> = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const logger = pino({ name: 'pulse-profile-api', level: env.PULSE_LOG_LEVEL ?? 'info' });
  const connection = loadConnectionEnv(env);
  const config = profileApiConfigFromEnv(env, overrides);
  const rules = env.PULSE_RULES_FILE
    ? parseRulesConfig(JSON.parse(readFileSync(env.PULSE_RULES_FILE, 'utf8')))
    : defaultRulesConfig;
  const api = await startProfileApi({ connection, config, rules, logger });
  logger.info(
    {
      url: api.url,
      keyPrefix: config.keyPrefix,
      readers: config.readKeys.map((entry) => entry.name),
    },
    'profile API started',
  );
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      void api.stop().then(resolve);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  logger.info('stopped');
}
