// The `gatecode` CLI run in the test's own process: cli/main.ts's main() with stdout and stderr captured (and,
// optionally, environment variables set for the call). The same code path as bin/gatecode.js after it loaded
// main, without the second or so a fresh Node process with the TypeScript loader costs per call. Files keep one
// or two spawned runs per command (test/support/server-process.ts) for what only a real process shows: the exit
// status and the streams as a shell sees them.
import { execFile } from 'node:child_process';
import { main } from '../../cli/main.js';
import { BIN } from './server-process.js';

export interface CliOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

type Write = typeof process.stdout.write;

/** A write() that keeps what it is given and calls back like a stream that flushed at once. */
function capture(into: string[]): Write {
  return ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = typeof encoding === 'function' ? encoding : cb;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as Write;
}

let running = false;

/**
 * Run `gatecode ARGS` in process. Calls must not overlap (the streams are the process's own): a second call
 * while one runs throws.
 */
export async function gatecodeInProcess(args: readonly string[], env: Record<string, string> = {}): Promise<CliOutput> {
  if (running) throw new Error('gatecodeInProcess: calls must not overlap');
  running = true;
  const out: string[] = [];
  const err: string[] = [];
  const { write: outWrite } = process.stdout;
  const { write: errWrite } = process.stderr;
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  Object.assign(process.env, env);
  try {
    const code = await main([...args]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = outWrite;
    process.stderr.write = errWrite;
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    running = false;
  }
}

/** Run `gatecode ARGS` as a process of its own (bin/gatecode.js), with `env` added to this process's environment. */
export function gatecodeSpawned(args: readonly string[], env: Record<string, string> = {}): Promise<CliOutput> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
