// The pipeline's own behaviour with a scripted decoder at its seam: order of the stages, a failing frame or a
// failing store never stopping the loop, and when a code held in view is decided again.
import { describe, expect, it } from 'vitest';
import { SimCamera } from '../../hardware/camera/sim/camera.js';
import type { GreyFrame } from '../../hardware/camera/types.js';
import type { DecideStore } from '../../device/decide.js';
import { Pipeline } from '../../device/pipeline.js';
import type { PipelineDecoder, PipelineReporter, PipelineStore } from '../../device/pipeline.js';
import type { EventInput } from '../../device/store/types.js';
import { Deployment, SITE, T0_S } from '../support/deployment.js';
import { silentLog } from '../support/log.js';
import { ManualClock } from '../support/clock.js';

const d = new Deployment();
const frame = { width: 4, height: 4, data: new Uint8Array(16) };

class ScriptedDecoder implements PipelineDecoder {
  constructor(private readonly script: (string | null | Error)[]) {}
  async decode(_f: GreyFrame) {
    const next = this.script.shift() ?? null;
    if (next instanceof Error) throw next;
    return next === null ? null : { text: next, corners: null };
  }
}

class MemoryStore implements PipelineStore, DecideStore {
  readonly events: EventInput[] = [];
  failWrites = false;
  readonly revoked = new Set<string>();
  private readonly passback = new Map<string, { direction: 'in' | 'out'; until: number }>();
  readonly calls: string[];
  constructor(calls: string[]) {
    this.calls = calls;
  }
  isRevoked(revocationId: string): boolean {
    return this.revoked.has(revocationId);
  }
  passHash(id: string): string {
    return id.slice(0, 32);
  }
  passbackCheck(hash: string, zone: string, now: number): 'in' | 'out' | null {
    const e = this.passback.get(`${zone}/${hash}`);
    return e && e.until > now ? e.direction : null;
  }
  addEvent(e: EventInput): number {
    this.calls.push('record');
    if (this.failWrites) throw new Error('disk full');
    this.events.push(e);
    return this.events.length;
  }
  passbackRecord(hash: string, zone: string, direction: 'in' | 'out', until: number): void {
    this.passback.set(`${zone}/${hash}`, { direction, until });
  }
  bump(): void {}
}

function setup(script: (string | null | Error)[], reporter: PipelineReporter | null = null) {
  const calls: string[] = [];
  const store = new MemoryStore(calls);
  const camera = new SimCamera({ mode: 'all' });
  const bundle = d.bundle();
  const clock = new ManualClock(T0_S * 1000);
  const pipeline = new Pipeline(
    {
      decoder: new ScriptedDecoder(script),
      store,
      gate: { open: () => calls.push('relay'), expectPassage: () => calls.push('passage') },
      leds: { showDecision: (p) => calls.push(`leds:${p}`) },
      reporter,
      clock,
      log: silentLog(),
      inputs: () => ({
        trust: { bundle, trustDataAt: T0_S - 60, clockFloor: T0_S - 3600, sunsetReached: false },
        place: { site: SITE, zone: 'main', direction: 'in' },
        options: { skewSeconds: 300, localActions: {}, localMaxOfflineAgeSeconds: null, passbackWindowSeconds: 3600 },
      }),
    },
    { leaveFrames: 2, holdOffMs: 10_000 },
  );
  return { calls, store, camera, pipeline, clock };
}

describe('pipeline', () => {
  it('commands the relay before the LEDs, and records after both', async () => {
    const { calls, camera, pipeline } = setup([d.pass().text]);
    const loop = pipeline.run(camera.frames());
    await camera.push(frame);
    camera.end();
    await loop;
    expect(calls).toEqual(['relay', 'leds:green', 'record', 'passage']);
  });

  it('shows a deciding frame on the status hub only after the relay command and the LEDs', async () => {
    let calls: string[] = [];
    let failing = false;
    const reporter: PipelineReporter = {
      frame: () => {
        calls.push('hub:frame');
        if (failing) throw new Error('hub gone');
      },
      verdict: () => calls.push('hub:verdict'),
    };
    const rig = setup([d.pass().text, null, d.pass().text], reporter);
    calls = rig.calls;
    await rig.pipeline.process({ ...frame, seq: 0, timestamp: 0 });
    expect(calls).toEqual(['relay', 'leds:green', 'hub:frame', 'record', 'passage', 'hub:verdict']);
    // A frame that decides nothing is shown all the same.
    calls.length = 0;
    await rig.pipeline.process({ ...frame, seq: 1, timestamp: 0 });
    expect(calls).toEqual(['hub:frame']);
    // A failing status view after the gate opened: the decision is still recorded, the error counted.
    failing = true;
    calls.length = 0;
    await rig.pipeline.process({ ...frame, seq: 2, timestamp: 0 });
    expect(calls).toEqual(['relay', 'leds:green', 'hub:frame', 'record', 'passage', 'hub:verdict']);
    expect(rig.store.events).toHaveLength(2);
    expect(rig.pipeline.stats.errors).toBe(1);
  });

  it('keeps going after a frame whose decode throws, and after a failing store write', async () => {
    const { calls, store, camera, pipeline } = setup([
      new Error('worker died'),
      d.pass().text,
      null,
      null,
      d.pass().text,
    ]);
    const outcomes: (string | null)[] = [];
    pipeline.onDecision((o) => outcomes.push(o.decision?.reason ?? null));
    const loop = pipeline.run(camera.frames());
    for (let i = 0; i < 5; i++) {
      if (i === 4) store.failWrites = true;
      await camera.push(frame);
    }
    camera.end();
    await loop;
    expect(pipeline.stats).toMatchObject({ frames: 5, decoded: 2, decisions: 2, errors: 2 });
    expect(outcomes).toEqual(['OK', 'OK']);
    expect(calls[0]).toBe('leds:fault'); // the failed frame shows the fault pattern
    // The relay still opened for the second pass although its event could not be stored.
    expect(calls.filter((c) => c === 'relay')).toHaveLength(2);
    expect(store.events).toHaveLength(1);
  });

  /** Show one frame per `stepMs` of the manual clock, `frames` times; returns the reasons decided. */
  async function hold(rig: ReturnType<typeof setup>, frames: number, stepMs: number): Promise<string[]> {
    const reasons: string[] = [];
    const off = rig.pipeline.onDecision((o) => reasons.push(`${o.decision?.colour}/${o.decision?.reason}`));
    for (let i = 0; i < frames; i++) {
      await rig.pipeline.process({ ...frame, seq: i, timestamp: 0 });
      rig.clock.advance(stepMs);
    }
    off();
    return reasons;
  }

  it('decides a granted code held in view once, however long it stays (no PASSBACK in front of the person)', async () => {
    const pass = d.pass();
    // 30 frames at 30 fps, then held 40 s more at one frame a second: past the 10 s hold-off four times.
    const rig = setup([...Array<string>(70).fill(pass.text), null, null, null, pass.text]);
    expect(await hold(rig, 30, 33)).toEqual(['green/OK']);
    expect(await hold(rig, 40, 1000)).toEqual([]);
    expect(rig.calls.filter((c) => c === 'relay')).toHaveLength(1);
    // Once it left the view (more than leaveFrames without it), showing it again is a new decision: PASSBACK.
    expect(await hold(rig, 4, 33)).toEqual(['red/PASSBACK']);
  });

  it('decides a denied code again after the hold-off while it stays in view (trust data may have changed)', async () => {
    const pass = d.pass();
    const rig = setup(Array<string>(45).fill(pass.text));
    rig.store.revoked.add(pass.revocationId);
    expect(await hold(rig, 30, 33)).toEqual(['red/REVOKED']); // 30 frames of one code: one decision
    rig.store.revoked.delete(pass.revocationId); // the revocation was lifted by a sync
    // ~1 s in; the hold-off ends 10 s after the first decision: one more decision, now green, then held.
    expect(await hold(rig, 15, 1000)).toEqual(['green/OK']);
    expect(rig.calls.filter((c) => c === 'relay')).toHaveLength(1);
  });
});
