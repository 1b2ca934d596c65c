// The pool's dispatch rule and escalation planning, without threads: which job an idle worker takes, and what a
// missed frame escalates.
import { describe, expect, it } from 'vitest';
import { EscalationPlanner, nextJobKind } from '../../../device/decode/pool-plan.js';

describe('decoder pool dispatch', () => {
  it('with one worker runs first passes before escalations', () => {
    expect(nextJobKind(0, 1, true, true, true)).toBe('first');
    expect(nextJobKind(0, 1, true, false, true)).toBe('escalate');
    expect(nextJobKind(0, 1, true, false, false)).toBeNull();
  });

  it('with more, worker 0 runs first passes only, and the others escalations before first passes', () => {
    for (const workers of [2, 4]) {
      expect(nextJobKind(0, workers, true, true, true)).toBe('first');
      expect(nextJobKind(0, workers, true, false, true)).toBeNull(); // never an escalation on worker 0
      for (let i = 1; i < workers; i++) {
        // A busy stream's next frame waits for worker 0 rather than take the escalations' core.
        expect(nextJobKind(i, workers, true, true, true)).toBe('escalate');
        expect(nextJobKind(i, workers, true, true, false)).toBe('first');
        expect(nextJobKind(i, workers, true, false, false)).toBeNull();
      }
    }
  });

  it('while worker 0 is being replaced, the others run first passes first', () => {
    expect(nextJobKind(1, 2, false, true, true)).toBe('first');
    expect(nextJobKind(1, 2, false, false, true)).toBe('escalate');
  });
});

describe('escalation planning', () => {
  const ladder = { engine: 'zxing', passes: ['plain', 'sharpen-2x'], budgetMs: 150, escalateEvery: 8 } as const;
  const corners = [
    [100, 100],
    [200, 100],
    [200, 200],
    [100, 200],
  ] as const;

  it('with spare workers escalates every miss near a recent read, crop and whole frame', () => {
    const p = new EscalationPlanner(ladder, true);
    p.hit(1, corners);
    for (let f = 2; f <= 5; f++) expect(p.plan(f)).toMatchObject({ roi: { x0: expect.any(Number) }, whole: true });
    expect(p.counts).toMatchObject({ roi: 4, whole: 4 });
  });

  it('without a recent read escalates the whole frame once in escalateEvery frames', () => {
    const p = new EscalationPlanner(ladder, true);
    const planned = Array.from({ length: 16 }, (_, i) => p.plan(i + 1));
    expect(planned.filter((x) => x !== null)).toHaveLength(2);
    expect(planned[0]).toEqual({ roi: null, whole: true });
  });
});
