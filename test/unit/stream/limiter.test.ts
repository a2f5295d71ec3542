/**
 * The token bucket: a burst, then the rate.
 */
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../server/stream/limiter.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at its rate', async () => {
    const b = new TokenBucket(20, 5);
    expect(Array.from({ length: 7 }, () => b.take())).toEqual([true, true, true, true, true, false, false]);
    await new Promise((r) => setTimeout(r, 160)); // ~3 tokens at 20/s
    const again = Array.from({ length: 6 }, () => b.take()).filter(Boolean).length;
    expect(again).toBeGreaterThanOrEqual(2);
    expect(again).toBeLessThanOrEqual(4);
  });
});
