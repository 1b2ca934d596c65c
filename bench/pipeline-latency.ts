// The arrival → relay command part of bench:pipeline: rendered phone scenes of real signed green passes pushed into
// a SimCamera at a camera's frame rate, through the device's own Pipeline (zxing decoder in its worker thread as
// configured by default, real SQLite store, GateController over the simulated GPIO, LED state machine). The
// pipeline measures each grant from the frame's arrival timestamp to the relay command.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimCamera } from '../hardware/camera/sim/camera.js';
import { renderPhoneScene } from '../hardware/camera/sim/scene.js';
import type { GreyFrame } from '../hardware/camera/types.js';
import { SimGpio } from '../hardware/gpio/sim.js';
import { SimLedRing } from '../hardware/leds/sim.js';
import { systemClock } from '../common/clock.js';
import { createDecoder } from '../device/decode/index.js';
import { DEFAULT_GATE_OPTIONS, GateController } from '../device/gate.js';
import { DEFAULT_LED_OPTIONS, LedController } from '../device/leds/machine.js';
import { createLogger } from '../device/log.js';
import { Pipeline } from '../device/pipeline.js';
import { openStore } from '../device/store/index.js';
import { encodePublicKey, generateSigningKey, issuePass } from '../protocol/index.js';
import type { TrustBundle } from '../protocol/types.js';

export interface LatencyFigures {
  fps: number;
  samples: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

const DISTINCT = 24;
const FPS = 30;

export async function measureLatency(frames: number): Promise<LatencyFigures> {
  const now = Math.floor(Date.now() / 1000);
  const issuer = generateSigningKey('bench');
  const bundle: TrustBundle = {
    version: 1,
    issuedAt: now - 60,
    issuers: [
      {
        kid: issuer.kid,
        issuer: 'bench',
        publicKey: encodePublicKey(issuer.publicKey),
        validFrom: now - 86_400,
        validUntil: now + 86_400,
        status: 'active',
      },
    ],
    revocationKeys: [],
    policy: { actions: { green: 'open', yellow: 'deny', red: 'deny' }, maxOfflineAgeSeconds: 86_400 },
    sunset: now + 86_400,
  };
  const scenes: GreyFrame[] = [];
  for (let i = 0; i < DISTINCT; i++) {
    const { text } = issuePass(
      { colour: 'green', notBefore: now - 60, expiresAt: now + 86_400, issuedAt: now - 60, scope: 'all' },
      issuer,
    );
    scenes.push(await renderPhoneScene(text, { seed: 1000 + i, perspective: 0.3, blur: 0.6, noise: 4 }));
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-bench-'));
  const store = openStore(path.join(dir, 'device.db'));
  const log = createLogger({ level: 'silent' });
  const camera = new SimCamera({ mode: 'newest' });
  const gpio = new SimGpio();
  const ring = new SimLedRing(16);
  const decoder = await createDecoder({ engine: 'zxing' });
  const gate = new GateController(gpio, systemClock, { ...DEFAULT_GATE_OPTIONS, pulseMs: 20 }, store, log);
  const leds = new LedController(ring, systemClock, DEFAULT_LED_OPTIONS, log);
  gate.start();
  leds.start();
  const pipeline = new Pipeline(
    {
      decoder,
      store,
      gate,
      leds,
      reporter: null,
      clock: systemClock,
      log,
      inputs: () => ({
        trust: { bundle, trustDataAt: now - 60, clockFloor: now - 60, sunsetReached: false },
        place: { site: 'gate-a', zone: 'main', direction: 'in' },
        options: { skewSeconds: 300, localActions: {}, localMaxOfflineAgeSeconds: null, passbackWindowSeconds: 0 },
      }),
    },
    // Each scene shows another pass; a pass comes back after DISTINCT - 1 others, so it has left the view.
    { leaveFrames: 1, holdOffMs: 60_000 },
  );
  const samples: number[] = [];
  pipeline.onDecision((o) => {
    if (o.timings.arrivalToRelayMs !== null) samples.push(o.timings.arrivalToRelayMs);
  });
  const loop = pipeline.run(camera.frames());
  // Warm-up: the worker's engine loads on the first frames.
  for (const s of scenes.slice(0, 4)) await camera.push(s);
  samples.length = 0;
  const period = 1000 / FPS;
  const start = performance.now();
  for (let i = 0; i < frames; i++) {
    const due = start + i * period;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    void camera.push(scenes[i % DISTINCT] as GreyFrame);
  }
  await sleep(200);
  camera.end();
  await loop;
  gate.close();
  leds.stop();
  await decoder.close();
  gpio.close();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });

  samples.sort((a, b) => a - b);
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? Number.NaN;
  const r2 = (n: number) => Math.round(n * 100) / 100;
  return {
    fps: FPS,
    samples: samples.length,
    medianMs: r2(at(0.5)),
    p95Ms: r2(at(0.95)),
    maxMs: r2(samples.at(-1) ?? Number.NaN),
  };
}
