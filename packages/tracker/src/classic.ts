// Entry of the classic script (`<script src=".../v1/tracker.js">`): one tracker per page, as
// `window.pulse`. Loading the script twice keeps the first tracker.
import { createPulse, type Pulse } from './page.ts';

const page = globalThis as { pulse?: Pulse };
page.pulse ??= createPulse();
