// What a second connection sees of a device store's staged revocation update (device/store/revocation-stage.ts):
// the pending generation, and the rows that are not part of the active list (staged, or removed and not yet
// cleaned up). Read on a connection of its own, so it shows what is committed, as another process would see it.
import Database from 'better-sqlite3';

export function leftovers(file: string): { pending: number | null; hidden: number } {
  const raw = new Database(file, { readonly: true });
  try {
    const s = raw.prepare('SELECT active_gen, pending_gen FROM revocation_state').get() as {
      active_gen: number;
      pending_gen: number | null;
    };
    const hidden = raw
      .prepare('SELECT count(*) FROM revocations WHERE born > ? OR dead IS NOT NULL')
      .pluck()
      .get(s.active_gen) as number;
    return { pending: s.pending_gen, hidden };
  } finally {
    raw.close();
  }
}
