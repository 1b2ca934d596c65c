import { describe, expect, it } from 'vitest';
import { PresenceTracker } from '../../device/presence.js';

describe('presence tracker', () => {
  it('decides a code held for 30 frames once', () => {
    const p = new PresenceTracker({ leaveFrames: 5, holdOffMs: 10_000 });
    const decided = Array.from({ length: 30 }, (_, i) => p.observe('GC1:A', i * 33)).filter(Boolean);
    expect(decided).toHaveLength(1);
  });

  it('tolerates a few missed frames but decides again after the code left the view', () => {
    const p = new PresenceTracker({ leaveFrames: 3, holdOffMs: 60_000 });
    expect(p.observe('A', 0)).toBe(true);
    expect(p.observe(null, 1)).toBe(false);
    expect(p.observe(null, 2)).toBe(false);
    expect(p.observe('A', 4)).toBe(false); // two misses: still in view
    for (let i = 0; i < 3; i++) p.observe(null, 5 + i);
    expect(p.observe('A', 10)).toBe(true); // three misses in a row: it had left
  });

  it('decides a denied code again after the hold-off while still in view', () => {
    const p = new PresenceTracker({ leaveFrames: 3, holdOffMs: 1000 });
    expect(p.observe('A', 0)).toBe(true);
    p.decided('A', false);
    expect(p.observe('A', 999)).toBe(false);
    expect(p.observe('A', 1000)).toBe(true);
    p.decided('A', false);
    expect(p.observe('A', 1500)).toBe(false);
    expect(p.observe('A', 2000)).toBe(true);
  });

  it('does not decide a granted code again while it stays in view, only after it left', () => {
    const p = new PresenceTracker({ leaveFrames: 3, holdOffMs: 1000 });
    expect(p.observe('A', 0)).toBe(true);
    p.decided('A', true);
    for (let t = 100; t <= 60_000; t += 100) expect(p.observe('A', t)).toBe(false);
    expect(p.observe('A', -5000)).toBe(false); // the clock set back does not re-decide it either
    for (let i = 0; i < 4; i++) p.observe(null, 60_100 + i);
    expect(p.observe('A', 60_200)).toBe(true);
  });

  it('stops re-deciding once a re-decision after a denial is a grant', () => {
    const p = new PresenceTracker({ leaveFrames: 3, holdOffMs: 1000 });
    expect(p.observe('A', 0)).toBe(true);
    p.decided('A', false);
    expect(p.observe('A', 1000)).toBe(true);
    p.decided('A', true); // e.g. a revocation lifted: now green
    expect(p.observe('A', 5000)).toBe(false);
    p.decided('B', true); // a text never observed: ignored
    expect(p.observe('B', 5001)).toBe(true);
  });

  it('tracks two codes in view separately', () => {
    const p = new PresenceTracker({ leaveFrames: 3, holdOffMs: 10_000 });
    expect(p.observe('A', 0)).toBe(true);
    expect(p.observe('B', 1)).toBe(true);
    expect(p.observe('A', 2)).toBe(false);
    expect(p.observe('B', 3)).toBe(false);
    for (let i = 0; i < 3; i++) p.observe('B', 4 + i);
    expect(p.observe('A', 8)).toBe(true); // A was absent for 3 frames (only B in view): decided again
  });
});
