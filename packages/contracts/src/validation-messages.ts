// Turns zod issues into short messages that name the failing field and the rule it broke, and
// never echo the value: customer ids and pages are personal data, and DLQ headers and logs are
// read by people who must not see them.
import type { z } from 'zod';

const MAX_ISSUES_IN_MESSAGE = 3;

export function issuePath(issue: z.core.$ZodIssue): string {
  return issue.path.length === 0 ? '(value)' : issue.path.map(String).join('.');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    // zod's own text ends with the received type (e.g. "received undefined"), never the value.
    return /received undefined$/.test(issue.message)
      ? `is required (${issue.expected})`
      : `must be ${issue.expected}`;
  }
  return issue.message;
}

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues
    .slice(0, MAX_ISSUES_IN_MESSAGE)
    .map((issue) => `${issuePath(issue)} ${describeIssue(issue)}`);
  const hidden = issues.length - shown.length;
  return hidden > 0 ? `${shown.join('; ')}; and ${hidden} more` : shown.join('; ');
}
