// The store's promise under a crash: a process killed (SIGKILL) at any moment while applying revocation deltas
// leaves a file that opens cleanly at the old or the new sequence — never in between.
import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore } from '../../../device/store/index.js';
import { streamId } from './fixtures/streams.js';
import { tempDir } from './helpers.js';
import type { TempDir } from './helpers.js';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'apply-child.ts');
const PER = 20_000;
const ROUNDS = 4;

let tmp: TempDir;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

interface Round {
  lines: string[];
  killedAt: 'begin' | 'random';
}

/** Run the child until it is killed: right after it begins a delta, or at a random moment after it is ready. */
function runAndKill(file: string, mode: 'begin' | 'random', delayMs: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, String(PER)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let buffered = '';
    let stderr = '';
    let armed = false;
    const arm = (): void => {
      if (armed) return;
      armed = true;
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        // In 'begin' mode wait for the second delta, so that the file already holds data when it dies.
        if (mode === 'random' && line.startsWith('ready')) arm();
        if (mode === 'begin' && line.startsWith('begin') && lines.some((l) => l.startsWith('commit'))) arm();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child ended by itself (${code}): ${stderr}`));
      else resolve({ lines, killedAt: mode });
    });
  });
}

/** What the list holds at sequence s, sampled: present and absent ids, and the exact count. */
function check(file: string, seq: number): void {
  const store = openStore(file);
  try {
    expect(store.revocationSeq()).toBe(seq);
    const count = seq === 0 ? 0 : PER + (seq - 1) * (PER / 2);
    expect(store.revocationInfo().count).toBe(count);
    if (seq >= 1) {
      for (const i of [0, PER / 2 - 1, PER / 2, PER - 1]) expect(store.isRevoked(streamId(seq, i))).toBe(true);
    }
    if (seq >= 2) {
      expect(store.isRevoked(streamId(seq - 1, 0))).toBe(false);
      expect(store.isRevoked(streamId(seq - 1, PER / 2))).toBe(true);
    }
    expect(store.isRevoked(streamId(seq + 1, 0))).toBe(false);
  } finally {
    store.close();
  }
  const db = new Database(file, { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();
}

it('opens at the old or the new sequence after SIGKILL during a large apply, every time', async () => {
  const file = tmp.file();
  let midApply = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const mode = round % 2 === 0 ? 'begin' : 'random';
    const delay = mode === 'begin' ? Math.floor(Math.random() * 40) : 300 + Math.floor(Math.random() * 1500);
    const { lines } = await runAndKill(file, mode, delay);
    const committed = lines.filter((l) => l.startsWith('commit')).map((l) => Number(l.split(' ')[1]));
    const begun = lines.filter((l) => l.startsWith('begin')).map((l) => Number(l.split(' ')[1]));
    const ready = Number(lines[0]?.split(' ')[1]);
    const lastCommitted = committed.at(-1) ?? ready;
    const lastBegun = begun.at(-1) ?? ready;
    const store = openStore(file);
    const seq = store.revocationSeq();
    store.close();
    // Committed means durable against a process crash; the delta in flight is either fully there or not at all.
    expect([lastCommitted, lastBegun]).toContain(seq);
    if (lines.at(-1)?.startsWith('begin')) {
      midApply++;
    }
    check(file, seq);
  }
  // The test only means something if some kills landed inside an apply.
  expect(midApply).toBeGreaterThan(0);
}, 180_000);
