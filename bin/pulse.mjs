#!/usr/bin/env node
// The `pulse` command. Pulse runs from its TypeScript sources (no build step): tsx compiles
// them on the fly, so `npx pulse …` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../packages/cli/src/main.ts');
await main(process.argv);
