// Claim links: how a pass gets onto a phone without an account. An administrator makes a claim; its link carries a
// 256-bit bearer secret in the URL fragment (never sent in a request line, so never in an access log); the server
// keeps only the secret's SHA-256. The first wallet to present the secret before the link expires gets the pass
// (a second use is CLAIM_USED). For a holder-bound claim the pass does not exist yet: the wallet sends its public
// key and the pass is issued then, with that key inside. The claim answers with a new random refresh secret (kept
// here only as its hash) and the link's secret stops working: a link seen later in a message or on paper fetches
// nothing. The refresh secret lets that wallet pick up the pass that replaced its own (colour change, renewal) — and
// nothing else: it names no person and no device. An administrator lists links and revokes one not yet used.
import { randomBytes } from 'node:crypto';
import { decodePublicKey, inspectPass, isProtocolError, type Colour, type Scope } from '../protocol/index.js';
import type { PassInspection } from '../protocol/index.js';
import type { ServerCore } from './core.js';
import { DomainError } from './errors.js';
import type { PassRecord, PassService } from './passes.js';
import { randomId, sha256 } from './secrets.js';

export const DEFAULT_CLAIM_TTL_SECONDS = 7 * 86_400;
/** The claim secret as it appears in a link: 32 random bytes, base64url. */
export const CLAIM_SECRET = /^[A-Za-z0-9_-]{43}$/;

export interface ClaimTerms {
  readonly colour: Colour;
  readonly notBefore: number;
  readonly expiresAt: number;
  readonly scope: Scope;
}

export interface ClaimInput extends ClaimTerms {
  /** Issue the pass at claim time with the wallet's key inside (rotating codes); false: a pass issued now. */
  readonly holderBound: boolean;
  /** How long the link can be claimed, seconds. */
  readonly ttlSeconds: number;
}

export type ClaimState = 'open' | 'used' | 'expired' | 'revoked';

export interface ClaimRecord {
  readonly id: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly holderBound: boolean;
  /** The pass (for a holder-bound claim: once claimed). */
  readonly passId: string | null;
  readonly claimedAt: number | null;
  readonly revokedAt: number | null;
  /** open: can be claimed; used: claimed; expired: not claimed in time; revoked: by an administrator, unused. */
  readonly state: ClaimState;
}

/** What a wallet receives at claim: the pass, and the secret it refreshes with from now on (given once). */
export interface Redeemed {
  readonly pass: WalletPass;
  readonly refreshSecret: string;
}

/** What a wallet receives: the pass text and everything it shows about it. */
export interface WalletPass {
  readonly passId: string;
  readonly text: string;
  readonly colour: Colour;
  readonly notBefore: number;
  readonly expiresAt: number;
  readonly scope: Scope;
  readonly holderBound: boolean;
  readonly inspection: PassInspection;
}

export type RefreshResult =
  { readonly status: 'active'; readonly pass: WalletPass } | { readonly status: 'revoked' | 'expired' };

interface ClaimRow {
  id: string;
  secret_hash: Buffer;
  created_at: number;
  expires_at: number;
  holder_bound: number;
  terms: string | null;
  pass_id: string | null;
  redeemed_at: number | null;
  revoked_at: number | null;
}

function stateOf(r: ClaimRow, now: number): ClaimState {
  if (r.redeemed_at !== null) return 'used';
  if (r.revoked_at !== null) return 'revoked';
  return now >= r.expires_at ? 'expired' : 'open';
}

function toRecord(r: ClaimRow, now: number): ClaimRecord {
  return {
    id: r.id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    holderBound: r.holder_bound === 1,
    passId: r.pass_id,
    claimedAt: r.redeemed_at,
    revokedAt: r.revoked_at,
    state: stateOf(r, now),
  };
}

function secretHash(secret: string): Buffer {
  return sha256(`claim:${secret}`);
}

function refreshHash(secret: string): Buffer {
  return sha256(`claim-refresh:${secret}`);
}

export class ClaimService {
  constructor(
    private readonly core: ServerCore,
    private readonly passes: PassService,
  ) {}

  /** Make a claim (and, unless holder-bound, its pass). The secret is returned once and never stored. */
  create(
    input: ClaimInput,
    actor: string,
  ): { claim: ClaimRecord; secret: string; pass: PassRecord | null; text: string | null } {
    return this.core.change({}, (now) => {
      const secret = randomBytes(32).toString('base64url');
      const id = randomId();
      const terms: ClaimTerms = {
        colour: input.colour,
        notBefore: input.notBefore,
        expiresAt: input.expiresAt,
        scope: input.scope,
      };
      let issued: { pass: PassRecord; text: string } | null = null;
      if (!input.holderBound) issued = this.passes.issue(terms, actor);
      else this.passes.checkTerms(terms);
      this.core.db
        .prepare(
          `INSERT INTO claims (id, secret_hash, created_at, expires_at, created_by, holder_bound, terms, pass_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          secretHash(secret),
          now,
          now + input.ttlSeconds,
          actor,
          input.holderBound ? 1 : 0,
          input.holderBound ? JSON.stringify(terms) : null,
          issued?.pass.passId ?? null,
        );
      this.core.audit.record(now, actor, 'claim.create', id, {
        holderBound: input.holderBound,
        expiresAt: now + input.ttlSeconds,
        ...(issued ? { passId: issued.pass.passId } : {}),
      });
      return { claim: this.get(id), secret, pass: issued?.pass ?? null, text: issued?.text ?? null };
    });
  }

  get(id: string): ClaimRecord {
    const row = this.core.db.prepare('SELECT * FROM claims WHERE id = ?').get(id) as ClaimRow | undefined;
    if (!row) throw new DomainError('CLAIM_NOT_FOUND');
    return toRecord(row, this.core.now());
  }

  /** Every claim link, newest first (no secrets: none are kept). */
  list(): ClaimRecord[] {
    const now = this.core.now();
    const rows = this.core.db.prepare('SELECT * FROM claims ORDER BY created_at DESC, id').all() as ClaimRow[];
    return rows.map((r) => toRecord(r, now));
  }

  /** Revoke a link not yet used: it can no longer be claimed. A pass already issued for it is left as it is. */
  revoke(id: string, actor: string): ClaimRecord {
    return this.core.change({}, (now) => {
      const row = this.core.db.prepare('SELECT * FROM claims WHERE id = ?').get(id) as ClaimRow | undefined;
      if (!row) throw new DomainError('CLAIM_NOT_FOUND');
      const state = stateOf(row, now);
      if (state === 'used') throw new DomainError('CLAIM_USED');
      if (state === 'revoked') throw new DomainError('CLAIM_REVOKED');
      if (state === 'expired') throw new DomainError('CLAIM_EXPIRED');
      this.core.db.prepare('UPDATE claims SET revoked_at = ?, revoked_by = ? WHERE id = ?').run(now, actor, id);
      this.core.audit.record(now, actor, 'claim.revoke', id, row.pass_id ? { passId: row.pass_id } : {});
      return this.get(id);
    });
  }

  /** A wallet claims the pass: once, before the link expires; with its public key for a holder-bound claim. */
  redeem(secret: string, holderKey: string | undefined): Redeemed {
    return this.core.change({}, (now) => {
      const row = this.find(secret);
      if (row.redeemed_at !== null) throw new DomainError('CLAIM_USED');
      if (row.revoked_at !== null) throw new DomainError('CLAIM_REVOKED');
      if (now >= row.expires_at) throw new DomainError('CLAIM_EXPIRED');
      const bound = row.holder_bound === 1;
      if (bound !== (holderKey !== undefined)) {
        throw new DomainError('VALIDATION_FAILED', { detail: bound ? 'holderKey.required' : 'holderKey.unwanted' });
      }
      let passId = row.pass_id;
      if (bound) {
        try {
          decodePublicKey(holderKey as string);
        } catch {
          throw new DomainError('VALIDATION_FAILED', { detail: 'holderKey' });
        }
        const terms = JSON.parse(row.terms as string) as ClaimTerms;
        passId = this.passes.issue({ ...terms, holderKey: holderKey as string }, `claim:${row.id}`).pass.passId;
      }
      const refreshSecret = randomBytes(32).toString('base64url');
      this.core.db
        .prepare('UPDATE claims SET redeemed_at = ?, pass_id = ?, refresh_hash = ? WHERE id = ?')
        .run(now, passId, refreshHash(refreshSecret), row.id);
      this.core.audit.record(now, `claim:${row.id}`, 'claim.redeem', row.id, { passId });
      const current = this.current(passId as string);
      if (current.status !== 'active') throw new DomainError('PASS_NOT_ACTIVE');
      return { pass: this.walletPass(current), refreshSecret };
    });
  }

  /**
   * What a claimed wallet holds now: the newest pass in its replacement chain, or why there is none. Only the
   * refresh secret given at claim works; the link's own secret is refused once used (CLAIM_USED, detail
   * `refreshSecret`), and before (CLAIM_NOT_CLAIMED).
   */
  refresh(secret: string): RefreshResult {
    const row = this.core.db.prepare('SELECT * FROM claims WHERE refresh_hash = ?').get(refreshHash(secret)) as
      ClaimRow | undefined;
    if (!row) {
      const link = this.find(secret);
      if (link.redeemed_at === null) throw new DomainError('CLAIM_NOT_CLAIMED');
      throw new DomainError('CLAIM_USED', { detail: 'refreshSecret' });
    }
    if (row.pass_id === null) throw new DomainError('CLAIM_NOT_CLAIMED');
    const current = this.current(row.pass_id);
    this.core.db.prepare('UPDATE claims SET refreshed_at = ? WHERE id = ?').run(this.core.now(), row.id);
    if (current.status === 'active') return { status: 'active', pass: this.walletPass(current) };
    return { status: current.status === 'expired' ? 'expired' : 'revoked' };
  }

  private find(secret: string): ClaimRow {
    const row = this.core.db.prepare('SELECT * FROM claims WHERE secret_hash = ?').get(secretHash(secret)) as
      ClaimRow | undefined;
    if (!row) throw new DomainError('CLAIM_NOT_FOUND');
    return row;
  }

  private current(passId: string): PassRecord {
    let rec = this.passes.get(passId);
    for (let hops = 0; rec.status === 'replaced' && rec.replacedBy !== null && hops < 1000; hops++) {
      rec = this.passes.get(rec.replacedBy);
    }
    return rec;
  }

  private walletPass(rec: PassRecord): WalletPass {
    const text = this.passes.text(rec.passId);
    let inspection: PassInspection;
    try {
      inspection = inspectPass(text);
    } catch (err) {
      if (isProtocolError(err)) throw new DomainError('PASS_INVALID', { detail: err.code });
      throw err;
    }
    return {
      passId: rec.passId,
      text,
      colour: rec.colour,
      notBefore: rec.notBefore,
      expiresAt: rec.expiresAt,
      scope: rec.scope,
      holderBound: rec.holderKey !== null,
      inspection,
    };
  }
}
