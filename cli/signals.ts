// Signals caught from the first line of bin/gatecode.js, before any TypeScript is loaded: a SIGTERM while the
// device starts up is remembered and honoured once start-up has finished (relay safe, exit 0), instead of
// killing the process half-started. Commands other than `device` release them: a pending signal is then raised
// again with its default action.

export interface EarlySignals {
  /** The first signal received, if any. */
  readonly pending: NodeJS.Signals | null;
  /** Be told of every later signal; returns the unsubscribe function. */
  subscribe(fn: (signal: NodeJS.Signals) => void): () => void;
  /** Remove the early handlers; re-raise a pending signal with its default action. */
  release(): void;
}

let current: EarlySignals | null = null;

export function adoptEarlySignals(early: EarlySignals | undefined): void {
  current = early ?? null;
}

export function earlySignals(): EarlySignals | null {
  return current;
}
