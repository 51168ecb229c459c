import { describe, expect, it } from 'vitest';
import { newClusterId } from './kafka.ts';

describe('newClusterId', () => {
  it('gives 22-character base64url ids that the storage tool cannot mistake for an option', () => {
    // Without the guard about one id in 64 starts with '-': 2,000 draws would all but surely hit one.
    for (let draw = 0; draw < 2_000; draw += 1) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
