import { describe, expect, it } from 'vitest';
import { inSilentWindow } from './hold.ts';

describe('inSilentWindow', () => {
  it('covers the silent window and the grace after it, nothing else', () => {
    const windows: [number, number][] = [[100, 200]];
    expect(inSilentWindow(99, windows, 50)).toBe(false);
    expect(inSilentWindow(100, windows, 50)).toBe(true);
    expect(inSilentWindow(250, windows, 50)).toBe(true);
    expect(inSilentWindow(251, windows, 50)).toBe(false);
    expect(inSilentWindow(150, [], 50)).toBe(false);
  });
});
