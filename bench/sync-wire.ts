// bench/sync-wire: the parts of bench:sync around the device (bench/sync.ts): the server as a spawned `gatecode
// server` process, a TCP proxy that counts the bytes on the wire (both ways, as sent: headers, gzip), a /healthz
// probe, and the decisions a gate makes while it syncs, on the device's own thread.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { evaluatePass } from '../protocol/index.js';
import type { DeviceStore } from '../device/store/index.js';

const BIN = fileURLToPath(new URL('../bin/gatecode.js', import.meta.url));

export const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

export interface ServerChild {
  readonly url: string;
  readonly port: number;
  /** Resolves with the server's own figure (ms) once it logs that its partitions are built. */
  readonly built: Promise<number>;
  /** Resident memory now and at its peak (Linux /proc), MB; null elsewhere. */
  memory(): { rssMb: number; peakMb: number } | null;
  stop(): Promise<void>;
}

/**
 * `gatecode server` on 127.0.0.1 (`port` 0: any), logging at info to stderr (read here for the build figure);
 * lists of `partitionAbove` ids and more go to devices in partitions.
 */
export async function startServerChild(
  dir: string,
  dataDir: string,
  port: number,
  partitionAbove: number,
): Promise<ServerChild> {
  const cfg = path.join(dir, 'server.json');
  fs.writeFileSync(
    cfg,
    JSON.stringify({
      dataDir,
      port,
      host: '127.0.0.1',
      logLevel: 'info',
      revocations: { partitionAbove },
      rateLimit: { perAddress: { ratePerSecond: 1e6, burst: 1e6 }, perToken: { ratePerSecond: 1e6, burst: 1e6 } },
    }),
  );
  const child: ChildProcess = spawn(process.execPath, [BIN, 'server', '--config', cfg], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let onBuilt: (ms: number) => void = () => undefined;
  const built = new Promise<number>((resolve) => (onBuilt = resolve));
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
    const m = /"ms":(\d+)[^\n]*"msg":"revocation partitions built"/.exec(err);
    if (m) onBuilt(Number(m[1]));
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${err.slice(-2000)}`)));
  });
  child.once('exit', (code, signal) =>
    process.stderr.write(`bench:sync: the server exited (${code ?? signal}) unasked: ${err.slice(-3000)}\n`),
  );
  const memory = (): { rssMb: number; peakMb: number } | null => {
    try {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
      return { rssMb: round(kb('VmRSS') / 1024), peakMb: round(kb('VmHWM') / 1024) };
    } catch {
      return null;
    }
  };
  return {
    url,
    port: Number(new URL(url).port),
    built,
    memory,
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface WireCounter {
  readonly url: string;
  /** Bytes device → server and server → device since the last reset. */
  bytes(): { up: number; down: number };
  reset(): void;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 in front of `port`, counting every byte that crosses it. */
export async function startWireCounter(port: number): Promise<WireCounter> {
  let up = 0;
  let down = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => (up += d.length));
    upstream.on('data', (d: Buffer) => (down += d.length));
    client.pipe(upstream);
    upstream.pipe(client);
    // A side that ends is ended on the other side by pipe, after what is buffered has been written (a device busy
    // applying can be many seconds behind; destroying on close would cut the answer it has not read yet).
    const fail = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail).on('close', () => sockets.delete(client));
    upstream.on('error', fail).on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${own}`,
    bytes: () => ({ up, down }),
    reset: () => {
      up = 0;
      down = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** GET /healthz every `everyMs` until stopped: the latencies seen (ms). */
export function probeHealth(url: string, everyMs = 20): { stop(): Promise<number[]> } {
  const seen: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      const res = await fetch(`${url}/healthz`);
      await res.arrayBuffer();
      seen.push(performance.now() - t);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

export interface DecisionFigures {
  readonly answered: number;
  /** Due (1 ms after the previous answer) → answered, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The longest the event loop was held (monitorEventLoopDelay), ms. */
  readonly longestStallMs: number;
  /** Decisions that saw the two watched ids of one change differ: half a change. */
  readonly half: number;
  /** Decisions that saw a held id missing. */
  readonly missing: number;
}

/**
 * A gate deciding a real signed pass against its store every ~1 ms (the bundle as held, the revocation list by
 * store.isRevoked), on this thread, while something else runs on it; and, at each decision, two ids of the change
 * being applied, in different partitions (both on the list or both not), and one id held from before (never missing).
 */
export function decideWhile(
  store: DeviceStore,
  passText: string,
  watch: { pair: readonly [string, string]; held: string | null },
): { stop(): DecisionFigures } {
  const lat: number[] = [];
  let half = 0;
  let missing = 0;
  let due = performance.now() + 1;
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  let timer: NodeJS.Timeout | null = null;
  const tick = (): void => {
    const held = store.getBundle();
    if (held) {
      evaluatePass(passText, {
        bundle: held.bundle,
        now: Math.floor(Date.now() / 1000),
        isRevoked: (id) => store.isRevoked(id),
      });
    }
    if (store.isRevoked(watch.pair[0]) !== store.isRevoked(watch.pair[1])) half++;
    if (watch.held !== null && !store.isRevoked(watch.held)) missing++;
    const answered = performance.now();
    lat.push(Math.max(0, answered - due));
    due = answered + 1;
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  return {
    stop: () => {
      if (timer) clearTimeout(timer);
      eld.disable();
      return {
        answered: lat.length,
        p50Ms: round(quantile(lat, 0.5), 2),
        p99Ms: round(quantile(lat, 0.99), 2),
        maxMs: round(lat.reduce((m, x) => Math.max(m, x), 0), 1),
        longestStallMs: round(eld.max / 1e6, 1),
        half,
        missing,
      };
    },
  };
}
