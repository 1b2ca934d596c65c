// The decoder pool with real worker threads: the newest frame's first pass never waits behind an escalation, a
// late read reaches the caller once, stale escalations are dropped, and a worker that dies takes its frame's
// result with it (nothing invented) and is replaced.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DecoderPool, type DecodeHit } from '../../../device/decode/index.js';
import { loadGreyImage } from '../../../hardware/camera/image-file.js';
import type { GreyFrame } from '../../../hardware/camera/types.js';
import { corpusEntries } from './corpus-sample.js';

const [easy, hard] = corpusEntries('gate-corpus', ['images/ph-9433c22049.png', 'images/ph-12950bc92d.png']);
/** Every pass, a budget no test machine reaches: an escalation of a frame without a code takes a long while. */
const SLOW = {
  engine: 'zxing',
  strategies: ['plain', 'sharpen-2x', 'upscale-2x', 'sharpen-1.5x', 'denoise'],
  budgetMs: 60_000,
} as const;

/** A large frame of noise: no code, and every escalation pass has a lot to do. */
function noise(seed: number): GreyFrame {
  const data = new Uint8Array(1280 * 960);
  let s = seed;
  for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return { width: 1280, height: 960, data, timestamp: 0, seq: 0 };
}

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('decoder pool', () => {
  it('runs the newest frame’s first pass beside an escalation, not behind it (and behind it with one worker)', async () => {
    const f = await loadGreyImage(easy!.path);
    for (const workers of [2, 1]) {
      const pool = await DecoderPool.start(SLOW, workers);
      try {
        expect(await pool.decode(noise(1), () => undefined)).toBeNull(); // first pass missed: escalation planned
        await until(() => pool.stats().escalating === 1, 'the escalation to start');
        const hit = await pool.decode(f, () => undefined);
        const escalatingThen = pool.stats().escalating;
        expect(hit).toMatchObject({ text: easy!.expected, strategy: 'plain' });
        if (workers === 2) expect(escalatingThen).toBe(1);
        else expect(escalatingThen).toBe(0); // one worker: the first pass waited for the escalation
      } finally {
        await pool.close();
      }
    }
  });

  it('reports an escalation’s read once, through late, and resolves with the final result without late', async () => {
    const f = await loadGreyImage(hard!.path);
    const pool = await DecoderPool.start({ engine: 'zxing', budgetMs: 60_000 }, 2);
    try {
      const late: DecodeHit[] = [];
      expect(await pool.decode(f, (h) => late.push(h))).toBeNull(); // the plain pass misses this frame
      await until(() => late.length > 0, 'the late read');
      await until(() => pool.stats().escalating === 0 && pool.stats().waiting === 0, 'the pool to settle');
      expect(late).toHaveLength(1);
      expect(late[0]).toMatchObject({ text: hard!.expected, strategy: 'sharpen-2x' });
      expect(pool.stats()).toMatchObject({ first: 1, whole: 1, late: 1, dropped: 0 });
      // Without late: the same frame resolves with the escalation's read.
      expect(await pool.decode(f)).toMatchObject({ text: hard!.expected });
    } finally {
      await pool.close();
    }
  });

  it('drops stale escalations: at most one waits per worker, the newest frames first', async () => {
    const pool = await DecoderPool.start(SLOW, 2);
    try {
      expect(await pool.decode(await loadGreyImage(easy!.path))).not.toBeNull(); // a code in view: a busy scene
      const late: DecodeHit[] = [];
      for (let i = 0; i < 8; i++) expect(await pool.decode(noise(i + 2), (h) => late.push(h))).toBeNull();
      // Every miss in a busy scene plans an escalation; one runs (the other worker stays free for first passes),
      // at most two wait, the rest gave way to newer frames.
      const s = pool.stats();
      expect(s.escalating + s.waiting).toBeLessThanOrEqual(3);
      expect(s.dropped).toBeGreaterThanOrEqual(5);
      expect(pool.jobs().filter((j) => j === 'escalate')).toHaveLength(1);
      expect(late).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  it('holds the next first pass inside worker 0 while the others escalate; if worker 0 dies, both frames fail', async () => {
    const f = await loadGreyImage(easy!.path);
    const pool = await DecoderPool.start(SLOW, 2);
    try {
      expect(await pool.decode(f)).not.toBeNull(); // a code in view: every miss escalates
      expect(await pool.decode(noise(1), () => undefined)).toBeNull();
      await until(() => pool.jobs()[1] === 'escalate', 'the escalation on worker 1');
      // Two frames handed over at once (a pipeline's frameSlots): the first runs on worker 0, the second waits
      // inside it rather than for a round trip through the pool's thread, and never takes the escalation's core.
      const running = pool.decode(noise(2));
      const next = pool.decode(f);
      expect(pool.jobs()).toEqual(['first', 'escalate']);
      expect(pool.stats().firstWaiting).toBe(1);
      await pool.workers[0]!.terminate();
      // Neither frame gets a result invented: both fail, and the pool goes on with a new worker 0.
      await expect(running).rejects.toMatchObject({ code: 'WORKER_FAILED' });
      await expect(next).rejects.toMatchObject({ code: 'WORKER_FAILED' });
      expect(await pool.decode(f)).toMatchObject({ text: easy!.expected });
      expect(pool.stats()).toMatchObject({ replaced: 1, firstWaiting: 0 });
    } finally {
      await pool.close();
    }
  });

  it('replaces a worker that dies during an escalation; its frame gets no read, and decoding goes on', async () => {
    const f = await loadGreyImage(hard!.path);
    const pool = await DecoderPool.start({ engine: 'zxing', budgetMs: 60_000 }, 2);
    try {
      const late: DecodeHit[] = [];
      expect(await pool.decode(f, (h) => late.push(h))).toBeNull();
      // The escalation was handed to a worker as the first pass's miss came back; it takes far longer than this.
      expect(pool.jobs()).toContain('escalate');
      const index = pool.jobs().indexOf('escalate');
      const dying = pool.workers[index]!;
      await dying.terminate(); // as an out-of-memory abort would
      await until(() => pool.workers.every((w) => w !== null && w !== dying), 'the replacement worker');
      expect(pool.stats().replaced).toBe(1);
      await sleep(50);
      expect(late).toEqual([]); // the dead worker's frame: no read invented
      // Both workers serve again: the easy frame's plain pass, and the hard frame's escalation.
      expect(await pool.decode(await loadGreyImage(easy!.path))).toMatchObject({ text: easy!.expected });
      expect(await pool.decode(f)).toMatchObject({ text: hard!.expected });
    } finally {
      await pool.close();
    }
  });
});
