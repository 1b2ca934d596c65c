// Kill the device process while it applies a large revocation delta, again and again: the store must open
// consistent every time, holding either the old sequence and list or the new ones, never anything between.
// The child runs the real sync client against a loopback server; SIGKILL lands at random points.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePublicKey } from '../../protocol/index.js';
import { STATE_KEYS, openStore } from '../../device/store/index.js';
import { SyncClient } from '../../device/sync/client.js';
import { Deployment } from '../support/deployment.js';
import { startStaticServer } from '../support/static-server.js';
import type { StaticServer } from '../support/static-server.js';

const CHILD = fileURLToPath(new URL('../device/sync/helpers/sync-child.ts', import.meta.url));
const TOKEN = 'dev.00112233aabbccdd.' + 'k'.repeat(43);
const OLD_IDS = 1_000;
const NEW_IDS = 20_000;
const KILLS = 5;

let dir: string;
let base: string;
let deployment: Deployment;
let server: StaticServer;
let oldIds: string[];
let newIds: string[];

interface Run {
  markers: Map<string, number>;
  code: number | null;
  signal: NodeJS.Signals | null;
  lastLine: string;
}

/** Run the child on `file`; `killAt(marker)` may return a delay after which it is SIGKILLed. */
function runChild(file: string, killAt: (marker: string) => number | null): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = Date.now();
    const markers = new Map<string, number>();
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n').slice(0, -1)) {
        if (line.length === 1 && !markers.has(line)) {
          markers.set(line, Date.now() - started);
          const delay = killAt(line);
          if (delay !== null) setTimeout(() => child.kill('SIGKILL'), delay);
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}): ${err.slice(0, 500)}`));
      const lines = out.trim().split('\n');
      resolve({ markers, code, signal, lastLine: lines[lines.length - 1] ?? '' });
    });
  });
}

function inspect(file: string): {
  seq: number;
  count: number;
  oldRevoked: boolean;
  newRevoked: number;
  integrity: string;
} {
  const store = openStore(file);
  try {
    const sample = newIds.filter((_, i) => i % 997 === 0);
    return {
      seq: store.revocationSeq(),
      count: store.revocationInfo().count,
      oldRevoked: oldIds.every((id) => store.isRevoked(id)),
      newRevoked: sample.filter((id) => store.isRevoked(id)).length / sample.length,
      integrity: (() => {
        const db = new Database(file, { readonly: true });
        try {
          return String(db.pragma('integrity_check', { simple: true }));
        } finally {
          db.close();
        }
      })(),
    };
  } finally {
    store.close();
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-sync-kill-'));
  deployment = new Deployment(() => Math.floor(Date.now() / 1000));
  oldIds = deployment.revoke(OLD_IDS);
  newIds = deployment.revoke(NEW_IDS);
  server = await startStaticServer(deployment, TOKEN);
  server.servedSeq = 1;
  base = path.join(dir, 'base.db');
  const store = openStore(base);
  store.setState(STATE_KEYS.serverUrl, server.url);
  store.setState(STATE_KEYS.rootPublicKey, encodePublicKey(deployment.root.publicKey));
  store.setState(STATE_KEYS.deviceId, '00112233aabbccdd');
  store.setState(STATE_KEYS.deviceToken, TOKEN);
  const r = await new SyncClient({ store }).syncNow();
  expect(r.ok).toBe(true);
  expect(store.revocationSeq()).toBe(1);
  store.close(); // the last connection checkpoints the WAL: base.db is one self-contained file
  server.servedSeq = 2;
});

afterAll(async () => {
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('killing the device during a large delta apply', () => {
  it(`leaves the old or the new list, never a mix (${KILLS} kills at random points)`, async () => {
    // Calibrate in process: how long verify+apply of this delta takes here, to aim the kills.
    const full = path.join(dir, 'full.db');
    fs.copyFileSync(base, full);
    const probe = openStore(full);
    let applyMs = 0;
    const timed = new Proxy(probe, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (typeof value !== 'function') return value;
        if (key === 'beginRevocationStage')
          // A delta above 64 KiB is written by a staged update: its apply runs from the begin to the commit.
          return (...args: Parameters<typeof probe.beginRevocationStage>) => {
            const t = performance.now();
            const stage = target.beginRevocationStage(...args);
            return new Proxy(stage, {
              get(st, k) {
                if (k === 'commit')
                  return (...c: Parameters<typeof stage.commit>) => {
                    st.commit(...c);
                    applyMs = performance.now() - t;
                  };
                const v = Reflect.get(st, k, st) as unknown;
                return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(st) : v;
              },
            });
          };
        if (key !== 'applyRevocations') return value.bind(target);
        return (...args: Parameters<typeof probe.applyRevocations>) => {
          const t = performance.now();
          target.applyRevocations(...args);
          applyMs = performance.now() - t;
        };
      },
    });
    const t0 = performance.now();
    const r = await new SyncClient({ store: timed }).syncNow();
    const cycleMs = performance.now() - t0;
    probe.close();
    expect(r.ok).toBe(true);
    expect(inspect(full)).toMatchObject({
      seq: 2,
      count: OLD_IDS + NEW_IDS,
      oldRevoked: true,
      newRevoked: 1,
      integrity: 'ok',
    });

    const outcomes: string[] = [];
    let midApply = 0;
    for (let i = 0; i < KILLS; i++) {
      const file = path.join(dir, `run-${i}.db`);
      fs.copyFileSync(base, file);
      // Even runs: anywhere from the answer's arrival to the end; odd runs: inside the store transaction.
      const anchor = i % 2 === 0 ? 'R' : 'A';
      const window = i % 2 === 0 ? cycleMs * 1.5 : applyMs * 0.8;
      const run = await runChild(file, (m) => (m === anchor ? Math.floor(Math.random() * window) : null));
      if (run.markers.has('A') && !run.markers.has('C')) midApply += 1;
      const s = inspect(file);
      expect(s.integrity).toBe('ok');
      if (s.seq === 1) {
        expect(s).toMatchObject({ count: OLD_IDS, oldRevoked: true, newRevoked: 0 });
        outcomes.push('old');
      } else {
        expect(s).toMatchObject({ seq: 2, count: OLD_IDS + NEW_IDS, oldRevoked: true, newRevoked: 1 });
        outcomes.push('new');
      }
      // A killed device catches up on its next start.
      if (s.seq === 1 && outcomes.filter((o) => o === 'old').length === 1) {
        const again = openStore(file);
        expect((await new SyncClient({ store: again }).syncNow()).ok).toBe(true);
        again.close();
        expect(inspect(file)).toMatchObject({ seq: 2, count: OLD_IDS + NEW_IDS, newRevoked: 1 });
      }
    }
    expect(midApply).toBeGreaterThanOrEqual(1);
    expect(outcomes).toContain('old');
  }, 120_000);
});
