import { AccessKeyRing } from '@pulse/config';
import type { WriteKey } from './config.ts';

export { bearerToken } from '@pulse/config';

/** Which source a presented write key belongs to, or undefined (constant-time, see AccessKeyRing). */
export class WriteKeyRing {
  private readonly ring: AccessKeyRing;

  constructor(keys: readonly WriteKey[]) {
    this.ring = new AccessKeyRing(keys.map(({ source, key }) => ({ owner: source, key })));
  }

  sourceOf(presented: string | undefined): string | undefined {
    return this.ring.ownerOf(presented);
  }
}
