// Reads that a decoder pool's escalation reports after the frame's first pass: the pipeline decides them as reads
// of the frame they came from, and one showing of a code still gives exactly one verdict. A scripted decoder at
// the seam delivers each late read while a chosen later frame is decoded (deterministic); the last test runs the
// real pool with its worker threads.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DecoderPool } from '../../device/decode/index.js';
import { Pipeline, type PipelineDecoder, type PipelineStore } from '../../device/pipeline.js';
import { LATE_FRAMES } from '../../device/presence.js';
import { loadGreyImage } from '../../hardware/camera/image-file.js';
import type { GreyFrame } from '../../hardware/camera/types.js';
import { corpusEntries } from './decode/corpus-sample.js';
import { ManualClock, T0_MS } from '../support/clock.js';
import { Deployment, SITE, T0_S } from '../support/deployment.js';
import { silentLog } from '../support/log.js';

const d = new Deployment();
const blank: GreyFrame = { width: 4, height: 4, data: new Uint8Array(16), timestamp: 0, seq: 0 };
type Hit = { text: string; corners: null };

/** Frame i's first pass reads first[i]; late[i] = [text, k]: its escalation reports text while frame k decodes. */
class LateScript implements PipelineDecoder {
  private frame = 0;
  private readonly due = new Map<number, (() => void)[]>();
  constructor(
    private readonly first: (string | null)[],
    private readonly late: Record<number, [string, number]>,
  ) {}
  async decode(_f: GreyFrame, late?: (hit: Hit) => void): Promise<Hit | null> {
    const i = this.frame++;
    for (const fn of this.due.get(i) ?? []) fn();
    const l = this.late[i];
    if (l && late) this.due.set(l[1], [...(this.due.get(l[1]) ?? []), () => late({ text: l[0], corners: null })]);
    const text = this.first[i] ?? null;
    return text === null ? null : { text, corners: null };
  }
}

function rig(decoder: PipelineDecoder, leaveFrames = 2) {
  const events: string[] = [];
  const store: PipelineStore = {
    isRevoked: () => false,
    passHash: (id: string) => id.slice(0, 32),
    passbackCheck: () => null,
    addEvent: (e) => events.push(`${e.colour}/${e.reason}`),
    passbackRecord: () => undefined,
    bump: () => undefined,
  };
  const bundle = d.bundle();
  const pipeline = new Pipeline(
    {
      decoder,
      store,
      gate: { open: () => undefined, expectPassage: () => undefined },
      leds: { showDecision: () => undefined },
      reporter: null,
      clock: new ManualClock(T0_MS),
      log: silentLog(),
      inputs: () => ({
        trust: { bundle, trustDataAt: T0_S - 60, clockFloor: T0_S - 3600, sunsetReached: false },
        place: { site: SITE, zone: 'main', direction: 'in' },
        options: { skewSeconds: 300, localActions: {}, localMaxOfflineAgeSeconds: null, passbackWindowSeconds: 0 },
      }),
    },
    { leaveFrames, holdOffMs: 60_000 },
  );
  return { pipeline, events };
}

async function feed(pipeline: Pipeline, n: number, frame: GreyFrame = blank): Promise<void> {
  for (let i = 0; i < n; i++) await pipeline.process({ ...frame, seq: i });
}

describe('pipeline with late reads', () => {
  const a = d.pass().text;

  it('decides a code that only an escalation read, once, however many late reads of it follow', async () => {
    const { pipeline, events } = rig(new LateScript([null, null, null, null], { 0: [a, 2], 1: [a, 3], 2: [a, 3] }));
    await feed(pipeline, 5);
    expect(events).toEqual(['green/OK']);
  });

  it('gives no second verdict for a late read of a showing the first pass already decided', async () => {
    const { pipeline, events } = rig(new LateScript([null, a, a], { 0: [a, 3] }));
    await feed(pipeline, 5);
    expect(events).toEqual(['green/OK']);
  });

  it('gives no second verdict for a late read that arrives after the code has left the view', async () => {
    // Read by the first pass on frames 0-1 (decided), gone from frame 2; frame 1's escalation reports at frame 8,
    // well after leaveFrames (2): the showing it belongs to was decided, so nothing more.
    const { pipeline, events } = rig(new LateScript([a, a], { 1: [a, 8] }));
    await feed(pipeline, 10);
    expect(events).toEqual(['green/OK']);
    // A new showing after it left the view is decided again.
    const again = rig(new LateScript([a, a, null, null, null, a], {}));
    await feed(again.pipeline, 7);
    expect(again.events).toEqual(['green/OK', 'green/OK']);
  });

  it('ignores a late read of a frame more than LATE_FRAMES frames old', async () => {
    const { pipeline, events } = rig(new LateScript([], { 0: [a, LATE_FRAMES + 2] }));
    await feed(pipeline, LATE_FRAMES + 4);
    expect(events).toEqual([]);
  });

  it('with the real pool: a code only escalations read, held in view, gets one verdict', async () => {
    const [hard] = corpusEntries('gate-corpus', ['images/ph-12950bc92d.png']);
    const frame = await loadGreyImage(hard!.path);
    const pool = await DecoderPool.start({ engine: 'zxing', budgetMs: 60_000 }, 2);
    try {
      const { pipeline, events } = rig(pool, 8);
      // The corpus text is not a pass: its verdict is a denial, recorded once per showing like any other.
      for (let i = 0; i < 6; i++) {
        const out = await pipeline.process({ ...frame, seq: i });
        expect(out.decoded).toBe(false); // the plain pass never reads this frame
        await sleep(20);
      }
      const settled = () => pool.stats().escalating === 0 && pool.stats().waiting === 0;
      for (let t = 0; t < 3000 && !settled(); t++) await sleep(10);
      expect(pool.stats().late).toBeGreaterThanOrEqual(1);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatch(/^red\//);
      expect(pipeline.stats.decisions).toBe(1);
    } finally {
      await pool.close();
    }
  });
});
