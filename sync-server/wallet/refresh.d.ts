// Types of refresh.js for the TypeScript tests that run its schedule in Node.
export declare const REFRESH_PERIOD_MS: number;
export declare const REFRESH_MAX_MS: number;
export type RefreshOutcome = 'ok' | 'failed' | 'offline';
export declare function refreshSchedule(deps: {
  run: () => Promise<RefreshOutcome>;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
  canAsk: () => boolean;
  periodMs?: number;
  maxMs?: number;
}): { now(): Promise<RefreshOutcome>; start(): void; readonly waitMs: number; stop(): void };
