// Entry of the ES module (`import pulse from '.../v1/tracker.mjs'`): the same single tracker
// as the classic script's `window.pulse`, so a page that loads both tracks once.
import { createPulse, type Pulse } from './page.ts';

const page = globalThis as { pulse?: Pulse };
const pulse: Pulse = (page.pulse ??= createPulse());

export default pulse;
export const { init, visit, identify, consent, flush, pending } = pulse;
