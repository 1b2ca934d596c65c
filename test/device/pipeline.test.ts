// The pipeline's own behaviour with a scripted decoder at its seam: order of the stages, a failing frame or a
// failing store never stopping the loop.
import { describe, expect, it } from 'vitest';
import { SimCamera } from '../../hardware/camera/sim.js';
import type { GreyFrame } from '../../hardware/camera/types.js';
import type { DecideStore } from '../../device/decide.js';
import { Pipeline } from '../../device/pipeline.js';
import type { PipelineDecoder, PipelineStore } from '../../device/pipeline.js';
import type { EventInput } from '../../device/store/types.js';
import { Deployment, SITE, T0 } from './helpers/deployment.js';
import { silentLog } from './helpers/log.js';
import { ManualClock } from './helpers/manual-clock.js';

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
  readonly calls: string[];
  constructor(calls: string[]) {
    this.calls = calls;
  }
  isRevoked(): boolean {
    return false;
  }
  passHash(id: string): string {
    return id.slice(0, 32);
  }
  passbackCheck(): null {
    return null;
  }
  addEvent(e: EventInput): number {
    this.calls.push('record');
    if (this.failWrites) throw new Error('disk full');
    this.events.push(e);
    return this.events.length;
  }
  passbackRecord(): void {}
  bump(): void {}
}

function setup(script: (string | null | Error)[]) {
  const calls: string[] = [];
  const store = new MemoryStore(calls);
  const camera = new SimCamera({ mode: 'all' });
  const bundle = d.bundle();
  const pipeline = new Pipeline(
    {
      decoder: new ScriptedDecoder(script),
      store,
      gate: { open: () => calls.push('relay'), expectPassage: () => calls.push('passage') },
      leds: { showDecision: (p) => calls.push(`leds:${p}`) },
      reporter: null,
      clock: new ManualClock(T0 * 1000),
      log: silentLog(),
      inputs: () => ({
        trust: { bundle, trustDataAt: T0 - 60, clockFloor: T0 - 3600, sunsetReached: false },
        place: { site: SITE, zone: 'main', direction: 'in' },
        options: { skewSeconds: 300, localActions: {}, localMaxOfflineAgeSeconds: null, passbackWindowSeconds: 3600 },
      }),
    },
    { leaveFrames: 2, holdOffMs: 60_000 },
  );
  return { calls, store, camera, pipeline };
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
});
