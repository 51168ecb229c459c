// Types of scripts/prerequisites.mjs (plain JavaScript so that it runs before `npm ci`).
export interface Prerequisite {
  name: string;
  aptPackage: string;
  why: string;
  check(): string | undefined;
}
export interface MissingPrerequisite extends Prerequisite {
  reason: string;
}
export const PREREQUISITES: Prerequisite[];
export function installCommand(packages: string[]): string;
export function missingPrerequisites(): MissingPrerequisite[];
export function describeMissing(missing: MissingPrerequisite[]): string;
