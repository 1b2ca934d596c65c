// A real `gatecode server` process (bin/gatecode.js, spawned) on a data directory, stopped with SIGTERM or
// SIGKILL like an operator or a power cut would, plus the CLI's other commands (`server backup`, `server
// restore`) run as processes. For tests that restart, kill, copy or move a server's data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/gatecode.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Run `gatecode ARGS` to the end. */
export function gatecode(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

export class ServerProcess {
  private proc: ChildProcess | null = null;
  private stderr = '';
  url = '';

  /** `port` 0 picks a free port; later starts reuse the one it got unless told otherwise. */
  constructor(
    public dataDir: string,
    public port = 0,
    private readonly extraArgs: readonly string[] = [],
  ) {}

  get running(): boolean {
    return this.proc !== null;
  }

  /** Start the server and resolve once it prints its URL; rejects with its stderr when it exits first. */
  start(timeoutMs = 30_000): Promise<void> {
    if (this.proc) throw new Error('already running');
    const args = [BIN, 'server', '--data', this.dataDir, '--port', String(this.port), '--host', '127.0.0.1'];
    const proc = spawn(process.execPath, [...args, ...this.extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.stderr = '';
    let stdout = '';
    proc.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    return new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        this.proc = null;
        reject(new Error(`server on ${this.dataDir} ${why}: ${this.stderr}`));
      };
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        fail('did not start in time');
      }, timeoutMs);
      proc.stdout?.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(stdout);
        if (m && /publish dir/.test(stdout)) {
          clearTimeout(timer);
          this.url = m[1] as string;
          this.port = Number(m[2]);
          resolve();
        }
      });
      proc.once('exit', (code, signal) => {
        if (this.proc === proc) fail(`exited (${code ?? signal}) before listening`);
      });
    });
  }

  /** SIGTERM (a clean stop) or SIGKILL (a crash or, with synchronous=FULL, a power cut); waits for the exit. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<number | null> {
    const proc = this.proc;
    if (!proc) return null;
    this.proc = null;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill(signal);
    return exited;
  }

  /** Kill without waiting (the signal is sent before this returns). */
  killNow(): Promise<number | null> {
    return this.stop('SIGKILL');
  }

  token(): string {
    return fs.readFileSync(path.join(this.dataDir, 'admin.token'), 'utf8').trim();
  }

  /** An admin API call; the body parsed as JSON. */
  async call<T = Record<string, unknown>>(
    method: string,
    p: string,
    body?: object,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(this.url + p, {
      method,
      headers: { authorization: `Bearer ${this.token()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  }
}
