// The sync client's settings, one zod schema for the check, the defaults and the type. The device config embeds
// it under `sync`.
import { z } from 'zod';
import { MAX_REVOCATIONS_BYTES } from '../../protocol/index.js';

export const syncOptionsSchema = z.strictObject({
  /** Poll the server this often while it answers, seconds. */
  pollIntervalSeconds: z.number().positive().max(86_400).default(30),
  /** Each delay is spread by ± this fraction (0..0.9) so gates do not poll in step. */
  jitter: z.number().min(0).max(0.9).default(0.2),
  /** First retry after a failed cycle, seconds; doubles with each further failure … */
  backoffBaseSeconds: z.number().positive().default(2),
  /** … up to this cap, seconds. */
  backoffMaxSeconds: z.number().positive().default(300),
  /** Time limit for one HTTP exchange, seconds. */
  requestTimeoutSeconds: z.number().positive().max(600).default(20),
  /** Largest bundle or revocation file accepted, bytes. */
  maxDownloadBytes: z.number().int().min(1024).default(MAX_REVOCATIONS_BYTES),
  /** Events per upload batch, and batches per cycle. */
  eventBatchSize: z.number().int().min(1).max(1000).default(200),
  maxBatchesPerCycle: z.number().int().min(1).default(20),
  /** Upload each event's keyed pass hash (a per-device pseudonym). Off: colours, reasons and times only. */
  uploadPassHashes: z.boolean().default(false),
  /** Hold the push channel open while online (remote open and lockdown from the admin page or CLI). */
  push: z.boolean().default(true),
  /** Log a warning when the server's clock and ours differ by more than this, seconds. */
  driftWarnSeconds: z.number().positive().default(30),
});

export type SyncOptions = z.infer<typeof syncOptionsSchema>;
export type SyncOptionsInput = z.input<typeof syncOptionsSchema>;

export function syncOptions(input: SyncOptionsInput = {}): SyncOptions {
  return syncOptionsSchema.parse(input);
}
