#!/usr/bin/env -S node --max-semi-space-size=256
// The `pulse` command. Pulse runs from its TypeScript sources (no build step): tsx compiles
// them on the fly, so `npx pulse …` works right after `npm ci`.
// The first line gives node the profiler's flags (PROFILER_NODE_FLAGS in services/profiler).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../packages/cli/src/main.ts');
await main(process.argv);
