// bench:fuzz — 1,000,000 mutated passes through evaluatePass (plus mutated bundles and revocation lists through
// their verifiers). Counts crashes (any exception that is not a ProtocolError) and accepts (a mutated input that
// verifies). Both must be 0; the exit code is 1 otherwise. Seeded, so a run can be repeated exactly.
//   npm run bench:fuzz [-- --count 1000000 --seed 1 --workers 2]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { runFuzz } from './fuzz-cases.js';
import type { FuzzResult } from './fuzz-cases.js';

if (!isMainThread) {
  const { count, seed } = workerData as { count: number; seed: number };
  parentPort?.postMessage(runFuzz(count, seed));
} else {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '1' },
      workers: { type: 'string' },
    },
  });
  const count = Number(values.count);
  const seed = Number(values.seed);
  const workers = Math.max(1, Number(values.workers ?? Math.min(2, os.availableParallelism())));
  // Workers do not inherit tsx's loader from the tsx CLI: a small boot script registers it, then loads this file.
  const BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  const started = performance.now();
  const share = Math.ceil(count / workers);
  const results = await Promise.all(
    Array.from(
      { length: workers },
      (_, w) =>
        new Promise<FuzzResult>((resolve, reject) => {
          const worker = new Worker(BOOT, {
            eval: true,
            workerData: { count: Math.min(share, count - w * share), seed: seed * 1000 + w },
          });
          worker.once('message', (m: FuzzResult) => resolve(m));
          worker.once('error', reject);
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const total: FuzzResult = { payloads: 0, documents: 0, crashes: 0, accepts: 0, reasons: {}, examples: [] };
  for (const r of results) {
    total.payloads += r.payloads;
    total.documents += r.documents;
    total.crashes += r.crashes;
    total.accepts += r.accepts;
    total.examples.push(...r.examples);
    for (const [k, v] of Object.entries(r.reasons)) total.reasons[k] = (total.reasons[k] ?? 0) + v;
  }
  console.log(
    `bench:fuzz: ${total.payloads.toLocaleString('en-US')} mutated passes + ${total.documents.toLocaleString('en-US')} mutated bundles/revocation lists, seed ${seed}, ${workers} worker(s), ${seconds.toFixed(1)} s`,
  );
  console.log(
    `  load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'})`,
  );
  for (const [reason, n] of Object.entries(total.reasons).sort((a, b) => b[1] - a[1]))
    console.log(`  ${reason.padEnd(18)} ${n.toLocaleString('en-US')}`);
  console.log(
    `  crashes ${total.crashes}   accepts ${total.accepts}   ${total.crashes + total.accepts === 0 ? 'OK' : 'FAILED'}`,
  );
  for (const e of total.examples.slice(0, 10)) console.log(`  example: ${e}`);
  console.log(
    JSON.stringify({
      bench: 'fuzz',
      payloads: total.payloads,
      documents: total.documents,
      crashes: total.crashes,
      accepts: total.accepts,
      seconds: Number(seconds.toFixed(1)),
      perSecond: Math.round((total.payloads + total.documents) / seconds),
      seed,
      workers,
    }),
  );
  process.exitCode = total.crashes + total.accepts === 0 ? 0 : 1;
}
