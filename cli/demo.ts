// `gatecode demo`: a server, a device and nine passes on this machine, no network, under a minute. The server
// runs with embedded defaults in a throw-away data dir; the device enrols with a code from it, syncs, and watches a
// film of the passes held up to its camera; the terminal shows what a person at the gate would see, then a
// summary of expected vs. actual verdicts. Exit 0 when every pass got its expected verdict, 1 otherwise.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultUsbDevice } from '../hardware/camera/usb.js';
import { findExecutable } from '../hardware/camera/which.js';
import { describeReason, isDeviceReason } from '../device/reasons.js';
import type { VerdictEntry } from '../device/status/model.js';
import {
  createEnrolment,
  issueDemoPasses,
  startDemoServer,
  writePassImages,
  type DemoPass,
  type DemoServer,
} from './demo-deployment.js';
import { claimHolderDemoPasses } from './demo-holder.js';
import { startDemoDevice, type DemoCamera, type DemoDevice } from './demo-device.js';
import { planFrames, writeFilm, type FramePlan } from './demo-frames.js';
import { matches, summaryLines, Terminal, verdictLine, type DemoResult } from './demo-terminal.js';
import { parseOptions } from './usage.js';

const SITE = 'main-entrance';
const GATE = 'demo-gate';
const FPS = 15;
const FILM_TIMEOUT_MS = 60_000;

const USAGE = `usage: gatecode demo [--keep] [--webcam]

Runs a sync server and a scanner device on this machine (no network, no hardware): issues seven passes, claims a
holder-bound one with the wallet's code (its live code and a stale screenshot of it), shows them to the device's
camera as a phone would, and prints what the gate does with each.

  --keep     leave the server and the device (with its status page) running; prints URLs and tokens
  --webcam   read a USB camera instead of the rendered passes (hold the written QR images up to it)
  -h, --help this text`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions(
    argv,
    { keep: { type: 'boolean' }, webcam: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    { hint: ' (see gatecode demo --help)' },
  );
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const term = new Terminal();
  if (values.webcam) {
    const problem = webcamProblem();
    if (problem) {
      process.stderr.write(`gatecode demo: --webcam: ${problem}\n`);
      return 1;
    }
  }

  const started = performance.now();
  const signals = watchSignals();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-demo-'));
  let server: DemoServer | null = null;
  let device: DemoDevice | null = null;
  try {
    term.line(term.bold('gatecode demo') + ' — a sync server, a gate device and nine passes, all on this machine');
    term.progress('starting the server…');
    server = await startDemoServer(path.join(tmp, 'server'));
    signals.check();
    term.line(`server   ${server.server.url}  (embedded defaults, data in a throw-away directory)`);
    term.progress('issuing passes through the admin API…');
    const passes = await issueDemoPasses(server, SITE, Math.floor(Date.now() / 1000));
    passes.push(...(await claimHolderDemoPasses(server, SITE, Date.now())));
    term.line(
      `passes   ${passes.length} issued for site "${SITE}": ${passes.map((p) => p.label.replace(/ pass$/, '')).join(', ')}`,
    );
    const uri = await createEnrolment(server);
    signals.check();

    let plan: FramePlan | null = null;
    let camera: DemoCamera;
    if (values.webcam) {
      const files = await writePassImages(path.join(tmp, 'passes'), passes);
      term.line(`codes    written as images to ${path.dirname(files[0] ?? tmp)}: show them to the camera`);
      camera = { source: 'usb' };
    } else {
      term.progress('rendering the passes as a gate camera would see a phone…');
      plan = await planFrames(passes.map((p) => p.text));
      const filmDir = path.join(tmp, 'film');
      fs.mkdirSync(filmDir);
      camera = { source: 'replay', files: await writeFilm(plan, filmDir), fps: FPS };
    }
    signals.check();

    term.progress('enrolling the device and syncing…');
    const statusToken = randomBytes(12).toString('base64url');
    device = await startDemoDevice({
      dataDir: path.join(tmp, 'device'),
      enrolmentUri: uri,
      site: SITE,
      gate: GATE,
      camera,
      statusToken,
    });
    term.line(
      `device   enrolled with a one-time code, synced (bundle v${device.device.hub.snapshot().sync.bundleVersion ?? '?'}), gate "${GATE}" at "${SITE}"`,
    );
    term.line(`status   ${device.statusUrl}`);
    term.line();
    signals.check();

    const results = await watch(term, device, passes, plan, signals.promise);
    signals.check();
    term.line();
    for (const line of summaryLines(results)) term.line(line);
    const allGood = results.every(matches);
    term.line(term.dim(`finished in ${((performance.now() - started) / 1000).toFixed(1)} s`));

    if (values.keep) {
      term.line();
      term.line('Still running (Ctrl-C to stop):');
      term.line(`  admin page   ${server.server.url}/admin/   admin token: ${server.adminToken}`);
      term.line(`  status page  ${device.statusUrl}   local token for the relay test: ${statusToken}`);
      await signals.promise;
    }
    return allGood ? 0 : 1;
  } catch (err) {
    if (!(err instanceof Interrupted)) throw err;
    term.line('interrupted: stopping the device and the server');
    return 130;
  } finally {
    signals.dispose();
    term.clearProgress();
    await device?.stop().catch(() => {});
    await server?.server.close(200).catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Follow the device through its status hub: progress per frame, a line per verdict, the gate's reaction. */
async function watch(
  term: Terminal,
  demo: DemoDevice,
  passes: readonly DemoPass[],
  plan: FramePlan | null,
  interrupted: Promise<void>,
): Promise<DemoResult[]> {
  const { hub, runtime } = demo.device;
  const gpio = demo.gpio;
  const got: (DemoResult['got'] | null)[] = passes.map(() => null);
  const extra: VerdictEntry[] = [];
  const total = plan?.order.length ?? 0;
  let last: VerdictEntry | undefined = hub.snapshot().recent[0];
  let pulses = gpio.pulses.length;
  const printing: Promise<void>[] = [];

  const off = hub.subscribe((change) => {
    const seq = hub.latestFrame()?.frame.seq ?? 0;
    if (change === 'frame') {
      const who = plan?.passAt(seq);
      const what =
        who === null || who === undefined
          ? 'waiting for the next person'
          : `the ${passes[who]?.label} is held up to the camera`;
      term.progress(
        plan ? `[frame ${seq + 1}/${total}] ${what}…` : `watching the camera (frame ${seq + 1}); Ctrl-C to stop`,
      );
      return;
    }
    const v = hub.snapshot().recent[0];
    if (!v || v === last) return;
    last = v;
    const who = plan
      ? plan.passAt(seq)
      : passes.findIndex((p, i) => got[i] === null && p.expected.colour === v.colour && p.expected.reason === v.reason);
    const entry = { colour: v.colour, reason: v.reason, opened: v.opened };
    const index = who !== null && who >= 0 && got[who] === null ? who : null;
    if (index !== null) got[index] = entry;
    else extra.push(v);
    if (v.opened) simulatePassage(gpio);
    printing.push(
      new Promise((resolve) => {
        // Give the LED state machine a tick to draw the verdict before showing the ring.
        setTimeout(() => {
          const newPulses = gpio.pulses.slice(pulses);
          pulses = gpio.pulses.length;
          const relay = newPulses.length > 0 ? `pulsed ${newPulses.at(-1)?.ms ?? 0} ms` : 'locked';
          const label = index !== null ? (passes[index]?.label ?? '?') : 'a code seen again';
          const expected = index !== null ? (passes[index]?.expected ?? entry) : entry;
          const reasonText =
            v.reason === 'OK'
              ? v.opened
                ? 'valid pass'
                : `valid pass, but ${v.colour} does not open`
              : isDeviceReason(v.reason)
                ? describeReason(v.reason)
                : v.reason;
          const leds = hub.snapshot().leds;
          const ring = term.ledBlocks(leds.pixels, leds.pattern);
          term.line(verdictLine(term, { label, expected, got: entry }, ring, relay, reasonText));
          resolve();
        }, 150);
      }),
    );
  });
  try {
    // The film ends when the replay camera runs out of frames; a webcam runs until Ctrl-C.
    const timeout = new Promise((resolve) => setTimeout(resolve, FILM_TIMEOUT_MS).unref());
    await Promise.race(plan ? [runtime.done, timeout, interrupted] : [interrupted]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await Promise.all(printing);
  } finally {
    off();
  }
  return passes.map((p, i) => ({ label: p.label, expected: p.expected, got: got[i] ?? null }));
}

/** The person walks through after a green: the door opens, the turnstile turns, the door closes. */
function simulatePassage(gpio: DemoDevice['gpio']): void {
  setTimeout(() => {
    try {
      gpio.setDoor(true);
      gpio.rotate();
      setTimeout(() => gpio.setDoor(false), 600).unref();
    } catch {
      // The device stopped meanwhile.
    }
  }, 300).unref();
}

function webcamProblem(): string | null {
  const dev = defaultUsbDevice();
  if (!fs.existsSync(dev))
    return `no USB camera found (${dev} does not exist); run the demo without --webcam to use rendered frames`;
  if (!findExecutable('ffmpeg')) return 'ffmpeg is not installed (sudo apt install ffmpeg); it reads the USB camera';
  return null;
}

class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

interface SignalWatch {
  /** Resolves on the first SIGINT or SIGTERM. */
  readonly promise: Promise<void>;
  /** Throws Interrupted when a signal arrived (checked between the demo's steps). */
  check(): void;
  dispose(): void;
}

/** Ctrl-C ends the demo through its normal clean-up (device stopped, server closed, data removed). */
function watchSignals(): SignalWatch {
  let fired = false;
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  const onSignal = () => {
    fired = true;
    resolve();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    promise,
    check() {
      if (fired) throw new Interrupted('interrupted');
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
