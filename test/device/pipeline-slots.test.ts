// A decoder that takes two frames at once (the decoder pool's frameSlots): the pipeline hands over the next frame
// before the previous one answered, never more than the slots, and still decides in the order the frames were
// taken, whatever order their decodes end in; a late read that comes before its frame's turn counts for that
// frame; a failed frame neither holds up nor reorders the others. A scripted decoder at the seam, whose every
// decode the test settles by hand (deterministic); the last test runs the real pool and kills a worker.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DecoderPool } from '../../device/decode/index.js';
import { Pipeline, type PipelineDecoder, type PipelineStore } from '../../device/pipeline.js';
import { loadGreyImage } from '../../hardware/camera/image-file.js';
import { SimCamera } from '../../hardware/camera/sim/camera.js';
import type { GreyFrame } from '../../hardware/camera/types.js';
import { corpusEntries } from './decode/corpus-sample.js';
import { ManualClock, T0_MS } from '../support/clock.js';
import { Deployment, SITE, T0_S } from '../support/deployment.js';
import { silentLog } from '../support/log.js';

const d = new Deployment();
const blank = { width: 4, height: 4, data: new Uint8Array(16) };
type Hit = { text: string; corners: null };

interface Call {
  seq: number;
  answer(text: string | null): void;
  fail(err: Error): void;
  late?: (hit: Hit) => void;
}

/** Every decode waits until the test answers it. */
class HandDecoder implements PipelineDecoder {
  readonly calls: Call[] = [];
  constructor(readonly frameSlots?: number) {}
  decode(f: GreyFrame, late?: (hit: Hit) => void): Promise<Hit | null> {
    return new Promise((resolve, reject) => {
      this.calls.push({
        seq: f.seq,
        answer: (text) => resolve(text === null ? null : { text, corners: null }),
        fail: reject,
        late,
      });
    });
  }
}

function rig(decoder: PipelineDecoder) {
  const events: string[] = [];
  const leds: string[] = [];
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
      leds: { showDecision: (p) => leds.push(p) },
      reporter: null,
      clock: new ManualClock(T0_MS),
      log: silentLog(),
      inputs: () => ({
        trust: { bundle, trustDataAt: T0_S - 60, clockFloor: T0_S - 3600, sunsetReached: false },
        place: { site: SITE, zone: 'main', direction: 'in' },
        options: { skewSeconds: 300, localActions: {}, localMaxOfflineAgeSeconds: null, passbackWindowSeconds: 0 },
      }),
    },
    { leaveFrames: 2, holdOffMs: 60_000 },
  );
  const seqs: number[] = [];
  pipeline.onDecision((o) => seqs.push(o.seq));
  const camera = new SimCamera({ mode: 'all' });
  const loop = pipeline.run(camera.frames());
  return { pipeline, events, leds, seqs, camera, loop };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let t = 0; !cond(); t++) {
    if (t > 2000) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

describe('pipeline with a decoder of two frame slots', () => {
  const a = d.pass().text;
  const b = d.pass().text;

  it('hands over the next frame before the previous one answered, at most two, and decides in frame order', async () => {
    const dec = new HandDecoder(2);
    const r = rig(dec);
    for (let i = 0; i < 3; i++) void r.camera.push(blank);
    await until(() => dec.calls.length === 2, 'two frames handed over');
    await sleep(20);
    expect(dec.calls.map((c) => c.seq)).toEqual([0, 1]); // the third waits for a free slot
    dec.calls[1]!.answer(b); // the second frame's decode ends first ...
    await sleep(20);
    expect(r.events).toEqual([]); // ... but is not decided before the first
    expect(dec.calls).toHaveLength(2);
    dec.calls[0]!.answer(a);
    await until(() => r.events.length === 2 && dec.calls.length === 3, 'both decided, the third frame handed over');
    expect(r.events).toEqual(['green/OK', 'green/OK']);
    expect(r.seqs).toEqual([0, 1]);
    dec.calls[2]!.answer(null);
    r.camera.end();
    await r.loop;
    expect(r.pipeline.stats).toMatchObject({ frames: 3, decoded: 2, decisions: 2, errors: 0 });
  });

  it('without frameSlots hands over one frame at a time, as before', async () => {
    const dec = new HandDecoder();
    const r = rig(dec);
    for (let i = 0; i < 2; i++) void r.camera.push(blank);
    await until(() => dec.calls.length === 1, 'the first frame');
    await sleep(20);
    expect(dec.calls).toHaveLength(1);
    dec.calls[0]!.answer(null);
    await until(() => dec.calls.length === 2, 'the second frame');
    dec.calls[1]!.answer(null);
    r.camera.end();
    await r.loop;
    expect(r.pipeline.stats).toMatchObject({ frames: 2, decoded: 0, errors: 0 });
  });

  it('decides a late read that comes before its frame’s turn as a read of that frame, once', async () => {
    const dec = new HandDecoder(2);
    const r = rig(dec);
    for (let i = 0; i < 4; i++) void r.camera.push(blank);
    await until(() => dec.calls.length === 2, 'two frames handed over');
    // Frame 1's first pass misses and its escalation reads a, all while frame 0 is still decoding.
    dec.calls[1]!.answer(null);
    await sleep(5);
    dec.calls[1]!.late!({ text: a, corners: null });
    await sleep(20);
    expect(r.events).toEqual([]); // not before frame 0 was decided
    dec.calls[0]!.answer(null);
    await until(() => r.events.length === 1 && dec.calls.length === 4, 'the late read decided');
    // Frames 2 and 3 read a by their first pass: the same showing, no second verdict.
    dec.calls[2]!.answer(a);
    dec.calls[3]!.answer(a);
    r.camera.end();
    await r.loop;
    expect(r.events).toEqual(['green/OK']);
    expect(r.pipeline.stats).toMatchObject({ frames: 4, decoded: 3, decisions: 1 });
  });

  it('a frame whose decode fails neither holds up nor reorders the others', async () => {
    const dec = new HandDecoder(2);
    const r = rig(dec);
    for (let i = 0; i < 3; i++) void r.camera.push(blank);
    await until(() => dec.calls.length === 2, 'two frames handed over');
    dec.calls[1]!.answer(a);
    dec.calls[0]!.fail(new Error('decode worker exited'));
    await until(() => dec.calls.length === 3, 'the third frame');
    dec.calls[2]!.answer(b);
    r.camera.end();
    await r.loop;
    expect(r.events).toEqual(['green/OK', 'green/OK']);
    expect(r.seqs).toEqual([1, 2]);
    expect(r.leds[0]).toBe('fault'); // the failed frame, before the verdicts of the frames taken after it
    expect(r.pipeline.stats).toMatchObject({ frames: 3, decoded: 2, decisions: 2, errors: 1 });
  });
});

describe('pipeline with the real decoder pool', () => {
  it('a worker that dies during a first pass costs that frame (no verdict invented); the next frame is decided', async () => {
    const [easy] = corpusEntries('gate-corpus', ['images/ph-9433c22049.png']);
    const code = await loadGreyImage(easy!.path);
    const pool = await DecoderPool.start({ engine: 'zxing' }, 2);
    try {
      expect(pool.frameSlots).toBe(2);
      const r = rig(pool);
      // A 16-megapixel frame of noise: its first pass takes long enough to be interrupted.
      const big = new Uint8Array(4096 * 4096);
      let s = 7;
      for (let i = 0; i < big.length; i++) big[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
      void r.camera.push({ width: 4096, height: 4096, data: big });
      await until(() => pool.jobs()[0] === 'first', 'the first pass on worker 0');
      void r.camera.push(code); // handed over while the big frame decodes: worker 1 is free and takes it
      const dying = pool.workers[0]!;
      await until(() => pool.jobs()[1] === 'first' || r.pipeline.stats.decoded > 0, 'the second frame handed over');
      await dying.terminate(); // as an out-of-memory abort would
      await until(() => r.pipeline.stats.decisions === 1 && r.pipeline.stats.errors === 1, 'the outcome of both');
      r.camera.end();
      await r.loop;
      // The corpus text is not a pass: a denial, recorded once; the dead worker's frame has no verdict.
      expect(r.events).toHaveLength(1);
      expect(r.events[0]).toMatch(/^red\//);
      expect(r.seqs).toEqual([1]);
      expect(r.leds[0]).toBe('fault');
      await until(() => pool.workers.every((w) => w !== null && w !== dying), 'the replacement worker');
      expect(pool.stats().replaced).toBe(1);
      expect(await pool.decode(code)).toMatchObject({ text: easy!.expected });
    } finally {
      await pool.close();
    }
  });
});
