// bench:pipeline — frames per second through decode + verify + decide at 640×480 on one core, on the gate-corpus
// frames, with the default zxing decoder, with zxing's plain pass alone (what the further decode passes cost), and
// with a jsqr decoder in the same run (the baseline); and the time from a frame's arrival to the relay command
// through the real Pipeline, SimCamera and simulated relay.
//
// The corpus payloads are random base45 (not signed passes), so every decoded frame is verified and decided with a
// real signed pass from a pool of distinct passes (full Ed25519 verify, revocation lookup in a real SQLite store):
// the verify figure is that of a real pass, not of an early rejection. Targets (issue 4): ≥ 250 frames/s, ≥ 8× the
// jsqr pipeline, p95 arrival → relay ≤ 10 ms. Options: --seconds N per engine (default 8; whole passes over the
// corpus, at least one), --latency-frames N (default 120). Ends with one JSON line of figures.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { GreyFrame } from '../hardware/camera/types.js';
import { loadGreyImage } from '../hardware/camera/image-file.js';
import { createDecoder } from '../device/decode/index.js';
import type { DecoderConfig, FrameDecoder } from '../device/decode/index.js';
import { decideText } from '../device/decide.js';
import type { DecideInputs } from '../device/decide.js';
import { openStore } from '../device/store/index.js';
import type { DeviceStore } from '../device/store/index.js';
import { encodePublicKey, generateSigningKey, issuePass } from '../protocol/index.js';
import type { TrustBundle } from '../protocol/types.js';
import { measureLatency } from './pipeline-latency.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    'latency-frames': { type: 'string', default: '120' },
  },
});
const SECONDS = Number(values.seconds);
const LATENCY_FRAMES = Number(values['latency-frames']);
const CORPUS = path.resolve(import.meta.dirname, '../../shared/gate-corpus');
const NOW = Math.floor(Date.now() / 1000);

interface ManifestEntry {
  file: string;
  expected: string;
  tier: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const r2 = (n: number): number => Math.round(n * 100) / 100;

async function loadCorpus(): Promise<{ frames: GreyFrame[]; expected: string[] }> {
  const manifest = JSON.parse(fs.readFileSync(path.join(CORPUS, 'manifest.json'), 'utf8')) as ManifestEntry[];
  const frames: GreyFrame[] = [];
  const expected: string[] = [];
  for (const m of manifest) {
    const frame = await loadGreyImage(path.join(CORPUS, m.file), { width: 640, height: 480 });
    frames.push(frame);
    expected.push(m.expected);
  }
  return { frames, expected };
}

function makeTrust(store: DeviceStore): { inputs: DecideInputs; passes: string[] } {
  const issuer = generateSigningKey('bench');
  const bundle: TrustBundle = {
    version: 1,
    issuedAt: NOW - 60,
    issuers: [
      {
        kid: issuer.kid,
        issuer: 'bench',
        publicKey: encodePublicKey(issuer.publicKey),
        validFrom: NOW - 86_400,
        validUntil: NOW + 86_400,
        status: 'active',
      },
    ],
    revocationKeys: [],
    policy: { actions: { green: 'open', yellow: 'attention', red: 'deny' }, maxOfflineAgeSeconds: 86_400 },
    sunset: NOW + 86_400 * 30,
  };
  const passes = Array.from(
    { length: 256 },
    (_, i) =>
      issuePass(
        {
          colour: i % 5 === 0 ? 'yellow' : 'green',
          notBefore: NOW - 60,
          expiresAt: NOW + 86_400,
          issuedAt: NOW - 60,
          scope: ['gate-a'],
        },
        issuer,
      ).text,
  );
  return {
    passes,
    inputs: {
      trust: { bundle, trustDataAt: NOW - 60, clockFloor: NOW - 60, sunsetReached: false },
      place: { site: 'gate-a', zone: 'main', direction: 'in' },
      options: { skewSeconds: 300, localActions: {}, localMaxOfflineAgeSeconds: null, passbackWindowSeconds: 0 },
      store,
    },
  };
}

interface EngineFigures {
  engine: string;
  frames: number;
  fps: number;
  decodeRate: number;
  wrong: number;
  decodeMedianMs: number;
  decodeP95Ms: number;
  verifyMedianMs: number;
  decideMedianMs: number;
}

async function runEngine(
  label: string,
  config: DecoderConfig,
  frames: GreyFrame[],
  expected: string[],
  inputs: DecideInputs,
  passes: string[],
): Promise<EngineFigures> {
  const decoder: FrameDecoder = await createDecoder({ ...config, worker: false });
  const decodeMs: number[] = [];
  const verifyMs: number[] = [];
  const decideMs: number[] = [];
  let n = 0;
  let hits = 0;
  let wrong = 0;
  // One warm-up pass over a few frames (JIT, wasm instantiation) before the clock starts.
  for (const f of frames.slice(0, 10)) await decoder.decode(f);
  // Whole passes over the corpus (at least one), so both engines are measured on the same mix of frames.
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  while (n % frames.length !== 0 || n === 0 || performance.now() < deadline) {
    const i = n % frames.length;
    const t0 = performance.now();
    const hit = await decoder.decode(frames[i] as GreyFrame);
    decodeMs.push(performance.now() - t0);
    if (hit) {
      hits++;
      if (hit.text !== expected[i]) wrong++;
      const d = decideText(passes[n % passes.length] as string, NOW, inputs);
      verifyMs.push(d.verifyMs);
      decideMs.push(d.decideMs);
    }
    n++;
  }
  const elapsed = performance.now() - start;
  await decoder.close();
  for (const a of [decodeMs, verifyMs, decideMs]) a.sort((x, y) => x - y);
  return {
    engine: label,
    frames: n,
    fps: r2((n * 1000) / elapsed),
    decodeRate: r2(hits / n),
    wrong,
    decodeMedianMs: r2(percentile(decodeMs, 50)),
    decodeP95Ms: r2(percentile(decodeMs, 95)),
    verifyMedianMs: r2(percentile(verifyMs, 50)),
    decideMedianMs: r2(percentile(decideMs, 50)),
  };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-bench-'));
  const store = openStore(path.join(dir, 'device.db'));
  try {
    const { frames, expected } = await loadCorpus();
    const { inputs, passes } = makeTrust(store);
    console.log(
      `gate-corpus: ${frames.length} frames 640×480; ${SECONDS} s per engine; one thread (decoder in-process)`,
    );
    const zxing = await runEngine('zxing', { engine: 'zxing' }, frames, expected, inputs, passes);
    // The same engine with only its first (plain) pass: shows what the decoder's further passes cost and bring.
    const zxingPlain = await runEngine(
      'zxing-plain',
      { engine: 'zxing', strategies: ['plain'] },
      frames,
      expected,
      inputs,
      passes,
    );
    const jsqr = await runEngine('jsqr', { engine: 'jsqr' }, frames, expected, inputs, passes);
    for (const f of [zxing, zxingPlain, jsqr]) {
      console.log(
        `${f.engine.padEnd(11)} ${String(f.fps).padStart(8)} frames/s  (${f.frames} frames, decoded ${(f.decodeRate * 100).toFixed(1)} %, wrong ${f.wrong}; ` +
          `decode median ${f.decodeMedianMs} ms p95 ${f.decodeP95Ms} ms; verify median ${f.verifyMedianMs} ms; decide median ${f.decideMedianMs} ms)`,
      );
    }
    const ratio = r2(zxing.fps / jsqr.fps);
    console.log(`zxing pipeline / jsqr pipeline: ${ratio}×  (target ≥ 250 frames/s and ≥ 8×)`);
    const latency = await measureLatency(LATENCY_FRAMES);
    console.log(
      `arrival → relay command (Pipeline + SimCamera at ${latency.fps} fps + simulated relay, ${latency.samples} grants, decoder in a worker): ` +
        `median ${latency.medianMs} ms, p95 ${latency.p95Ms} ms, max ${latency.maxMs} ms  (target p95 ≤ 10 ms)`,
    );
    console.log(
      JSON.stringify({
        bench: 'pipeline',
        zxingFps: zxing.fps,
        jsqrFps: jsqr.fps,
        ratio,
        zxingDecodeRate: zxing.decodeRate,
        zxingPlainFps: zxingPlain.fps,
        zxingPlainDecodeRate: zxingPlain.decodeRate,
        jsqrDecodeRate: jsqr.decodeRate,
        wrongTexts: zxing.wrong + zxingPlain.wrong + jsqr.wrong,
        zxingDecodeMedianMs: zxing.decodeMedianMs,
        verifyMedianMs: zxing.verifyMedianMs,
        decideMedianMs: zxing.decideMedianMs,
        arrivalToRelayMedianMs: latency.medianMs,
        arrivalToRelayP95Ms: latency.p95Ms,
        latencySamples: latency.samples,
        targets: { fps: 250, ratio: 8, arrivalToRelayP95Ms: 10 },
        met: zxing.fps >= 250 && ratio >= 8 && latency.p95Ms <= 10,
      }),
    );
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
