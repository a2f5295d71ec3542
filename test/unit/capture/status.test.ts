/**
 * The status owner: a retired capture loop can never write the status again.
 */
import { describe, expect, it } from 'vitest';
import { StatusOwner } from '../../../server/capture/status.js';
import type { SourceStatus } from '../../../shared/status.js';

describe('StatusOwner', () => {
  it('only the newest reporter is heard; stopping retires them all', () => {
    const seen: SourceStatus[] = [];
    const owner = new StatusOwner({ state: 'starting', reason: 'STARTING', source: 'a', kind: 'demo' }, (s) => seen.push(s));
    const first = owner.claim();
    first({ state: 'live', reason: 'OK', source: 'a', kind: 'demo' });
    const second = owner.claim(); // a source switch
    second({ state: 'live', reason: 'OK', source: 'b', kind: 'file' });
    first({ state: 'offline', reason: 'STOPPED', source: 'a', kind: 'demo', error: 'stopped' }); // the old loop's last words
    expect(owner.current).toMatchObject({ state: 'live', source: 'b' });
    expect(seen.map((s) => `${s.state}:${s.source}`)).toEqual(['live:a', 'live:b']);
    owner.retireAll('b', 'file');
    second({ state: 'live', reason: 'OK', source: 'b', kind: 'file' });
    expect(owner.current).toMatchObject({ state: 'offline', reason: 'STOPPED' });
    expect(seen.at(-1)).toMatchObject({ state: 'offline' });
    expect(seen.every((s) => typeof s.since === 'number')).toBe(true);
  });
});
