// bench:startup — start-up time and memory of `gatecode device` run from the release build (dist/, `npm run
// build` first) against the same command through tsx (the sources compiled on load), in the same run.
// Each round spawns `node bin/gatecode.js device` on a simulated config, times spawn → "device started", then
// reads the resident memory of the device process and of all its descendants (tsx starts esbuild service
// processes) from /proc, and stops it with SIGTERM. Rounds alternate between the two. Ends with one JSON line.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROUNDS = Number(process.env['ROUNDS'] ?? 5);
const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'gatecode.js');

function rssKiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${name}/status`, 'utf8'))?.[1]);
      if (ppid === pid) out.push(Number(name), ...descendants(Number(name)));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

interface Sample {
  readonly ms: number;
  readonly rssMiB: number;
  readonly treeMiB: number;
  readonly processes: number;
}

function once(mode: 'dist' | 'src', config: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, 'device', '--config', config], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, GATECODE_RUN: mode },
    });
    let out = '';
    let sample: Sample | null = null;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (sample === null && out.includes('"device started"')) {
        const ms = performance.now() - t0;
        // let the decoder worker settle, then measure the steady process tree
        setTimeout(() => {
          const pid = child.pid as number;
          const kids = descendants(pid);
          const own = rssKiB(pid);
          const tree = own + kids.reduce((a, p) => a + rssKiB(p), 0);
          sample = { ms, rssMiB: own / 1024, treeMiB: tree / 1024, processes: 1 + kids.length };
          child.kill('SIGTERM');
        }, 1500);
      }
    });
    child.on('close', () => (sample ? resolve(sample) : reject(new Error(`no start: ${out}`))));
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

if (!fs.existsSync(path.resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js'))) {
  process.stderr.write('bench:startup: run `npm run build` first (no dist/)\n');
  process.exit(2);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-bench-'));
const config = path.join(dir, 'device.yaml');
fs.writeFileSync(
  config,
  `site: bench\ngate: g1\ndataDir: ${path.join(dir, 'data')}\ncamera: { source: sim }\nhardware: { gpio: sim, leds: sim }\nlogLevel: info\n`,
);
const results: Record<'dist' | 'src', Sample[]> = { dist: [], src: [] };
try {
  for (let i = 0; i < ROUNDS; i++) {
    for (const mode of ['src', 'dist'] as const) results[mode].push(await once(mode, config));
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
const summary = Object.fromEntries(
  (['dist', 'src'] as const).map((m) => [
    m,
    {
      startMs: Math.round(median(results[m].map((s) => s.ms))),
      rssMiB: Number(median(results[m].map((s) => s.rssMiB)).toFixed(1)),
      treeMiB: Number(median(results[m].map((s) => s.treeMiB)).toFixed(1)),
      processes: median(results[m].map((s) => s.processes)),
    },
  ]),
) as Record<'dist' | 'src', { startMs: number; rssMiB: number; treeMiB: number; processes: number }>;
for (const m of ['src', 'dist'] as const) {
  const s = summary[m];
  const label = m === 'dist' ? 'compiled (dist/)' : 'tsx (baseline)  ';
  process.stdout.write(
    `${label}  start ${s.startMs} ms  RSS ${s.rssMiB} MiB  process tree ${s.treeMiB} MiB in ${s.processes} processes\n`,
  );
}
const ratio = summary.src.startMs / summary.dist.startMs;
process.stdout.write(`start-up: compiled is ${ratio.toFixed(2)}x faster (median of ${ROUNDS} rounds each)\n`);
process.stdout.write(
  JSON.stringify({ bench: 'startup', rounds: ROUNDS, ...summary, startRatio: Number(ratio.toFixed(2)) }) + '\n',
);
