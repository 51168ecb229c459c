import { describeMissing, missingPrerequisites } from '../scripts/prerequisites.mjs';

/**
 * Runs before any test file of either project: a machine without Java, Maven, redis-server or
 * Chromium stops here, in the first second, with every missing program and the one command
 * that installs them — instead of suites failing one by one minutes later.
 */
export function setup(): void {
  const missing = missingPrerequisites();
  if (missing.length > 0) throw new Error(describeMissing(missing));
}
