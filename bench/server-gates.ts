// bench/server-gates: a bounded loopback simulation of a fleet of gates polling one server on their schedule.
// Each gate runs the device's poll cycle (device/sync/client.ts) with its own token: GET bundle (If-None-Match),
// GET revocations?since=&log= (its sequence and history), GET freshness, POST heartbeat; then waits the poll
// interval × (1 ± jitter), as nextDelay does. Time is compressed by `timeScale`: the real interval (30 s by
// default) is divided by it, so the request rate is that of `gates × timeScale` gates at the real interval.
// Gates share a bounded keep-alive socket pool (`sockets`), as a reverse proxy in front of the server would.
// Steady state: every gate starts in sync (the bundle's ETag, the current sequence and history), as after its
// first sync; a first sync of a large list is bench:sync's subject.
// Reports the latency of each request as the gates see it (p50, p99), cycles started late, and the server
// process's CPU time over the run (from /proc, Linux).
import fs from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Db } from '../sync-server/db.js';
import { newToken, randomId } from '../sync-server/secrets.js';

export interface GateFleetOptions {
  readonly url: string;
  readonly tokens: readonly string[];
  readonly serverPid: number;
  /** Real poll interval, seconds (the device default is 30). */
  readonly intervalSeconds: number;
  readonly jitter: number;
  readonly timeScale: number;
  /** Wall seconds to run. */
  readonly seconds: number;
  readonly sockets: number;
  /** What every gate holds at the start (steady state: each is in sync, as after its first sync). */
  readonly held: { readonly etag: string; readonly since: number; readonly log: string };
}

export interface GateFleetResult {
  readonly gates: number;
  readonly cycles: number;
  readonly requests: number;
  readonly errors: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Cycles that started more than 1 s (wall) after their scheduled time. */
  readonly lateCycles: number;
  /** Server CPU time over wall time, % of one core. */
  readonly serverCpuPercent: number;
  /** Server CPU time per request answered, µs. */
  readonly serverCpuUsPerRequest: number;
  /** This process's CPU (the simulated gates), % of one core: near 100 % means the gates, not the server, limit. */
  readonly clientCpuPercent: number;
}

/** Insert `n` enrolled, confirmed devices (the same token format and stored hash as enrolment) in one transaction. */
export function seedGates(db: Db, n: number, now: number): string[] {
  const insert = db.prepare(
    'INSERT INTO devices (id, name, token_hash, enrolled_at, confirmed_at) VALUES (?, ?, ?, ?, ?)',
  );
  const tokens: string[] = [];
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const id = randomId(8);
      const { token, hash } = newToken('dev', id);
      insert.run(id, `gate-${i}`, hash, now, now);
      tokens.push(token);
    }
  })();
  return tokens;
}

/** utime + stime of a process, seconds (Linux /proc; 0 elsewhere). */
export function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; 100 per second on Linux
  } catch {
    return 0;
  }
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
}

function request(
  agent: http.Agent,
  url: URL,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: url.hostname, port: url.port, path, method: body === undefined ? 'GET' : 'POST', headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function runGateFleet(o: GateFleetOptions): Promise<GateFleetResult> {
  const url = new URL(o.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.sockets });
  const intervalMs = (o.intervalSeconds * 1000) / o.timeScale;
  const latencies: number[] = [];
  let errors = 0;
  let cycles = 0;
  let late = 0;
  const started = performance.now();
  const endAt = started + o.seconds * 1000;
  const cpu0 = cpuSeconds(o.serverPid);
  const own0 = process.cpuUsage();

  const timed = async (path: string, headers: Record<string, string>, expect: number[], body?: string) => {
    const t0 = performance.now();
    try {
      const a = await request(agent, url, path, headers, body);
      latencies.push(performance.now() - t0);
      if (!expect.includes(a.status)) errors++;
      return a;
    } catch {
      errors++;
      return null;
    }
  };

  const gate = async (token: string): Promise<void> => {
    const auth = { Authorization: `Bearer ${token}` };
    let etag: string | null = o.held.etag;
    let since = o.held.since;
    let log: string | null = o.held.log;
    // The first poll of each gate falls anywhere in the first interval (gates start at different times).
    let due = started + Math.random() * intervalMs;
    while (due < endAt) {
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -1000) late++;
      if (performance.now() >= endAt) break;
      cycles++;
      const b = await timed('/api/device/bundle', etag ? { ...auth, 'If-None-Match': etag } : auth, [200, 304]);
      if (b?.status === 200) etag = (b.headers.etag as string | undefined) ?? null;
      const q = `/api/device/revocations?since=${since}${log ? `&log=${log}` : ''}`;
      const r = await timed(q, auth, [200, 304]);
      if (r?.status === 200) {
        since = Number(r.headers['gatecode-revocation-seq'] ?? since);
        log = (r.headers['gatecode-log-id'] as string | undefined) ?? log;
      }
      await timed('/api/device/freshness', auth, [200]);
      const hb = JSON.stringify({ versions: { bundle: 1 }, seq: since, clock: Date.now() / 1000, counters: {} });
      await timed('/api/device/heartbeat', { ...auth, 'Content-Type': 'application/json' }, [200], hb);
      due += intervalMs * (1 + o.jitter * (2 * Math.random() - 1));
    }
  };

  await Promise.all(o.tokens.map((t) => gate(t)));
  const wall = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(o.serverPid) - cpu0;
  const own = process.cpuUsage(own0);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    gates: o.tokens.length,
    cycles,
    requests: latencies.length,
    errors,
    requestsPerSecond: Math.round(latencies.length / wall),
    p50Ms: r2(at(0.5)),
    p99Ms: r2(at(0.99)),
    maxMs: r2(latencies.at(-1) ?? 0),
    lateCycles: late,
    serverCpuPercent: Math.round((cpu / wall) * 1000) / 10,
    serverCpuUsPerRequest: Math.round((cpu / Math.max(1, latencies.length)) * 1e6),
    clientCpuPercent: Math.round(((own.user + own.system) / 1e4 / wall) * 10) / 10,
  };
}
