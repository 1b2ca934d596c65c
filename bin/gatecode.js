#!/usr/bin/env node
// Entry point for the `gatecode` command. A release runs the compiled JavaScript in dist/ (`npm run build`); a
// source checkout compiles the TypeScript on load through tsx (development only).
//
// SIGTERM and SIGINT are caught from this first line on, so that a stop during start-up is honoured after
// start-up (see cli/signals.ts) instead of ending a half-started device.
import fs from 'node:fs';

const SIGNALS = ['SIGTERM', 'SIGINT'];
let pending = null;
const subscribers = new Set();
const record = (signal) => {
  pending ??= signal;
  for (const fn of subscribers) fn(signal);
};
for (const s of SIGNALS) process.on(s, record);
const early = {
  get pending() {
    return pending;
  },
  subscribe(fn) {
    subscribers.add(fn);
    return () => subscribers.delete(fn);
  },
  release() {
    for (const s of SIGNALS) process.removeListener(s, record);
    subscribers.clear();
    if (pending !== null) process.kill(process.pid, pending);
  },
};

// A release has dist/ and no TypeScript sources; a source checkout runs the sources even when dist/ was built
// (so an edit is never shadowed by an old build). GATECODE_RUN=dist or =src chooses explicitly.
const compiled = new URL('../dist/cli/main.js', import.meta.url);
const sources = new URL('../cli/main.ts', import.meta.url);
const run = process.env.GATECODE_RUN || (fs.existsSync(sources) ? 'src' : 'dist');
let main;
if (run === 'dist' && fs.existsSync(compiled)) {
  ({ main } = await import(compiled.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(sources.href));
}
process.exitCode = await main(process.argv.slice(2), early);
