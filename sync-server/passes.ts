// Passes: issue, list, re-render, revoke, change colour. The server keeps each pass's claims (no text, nothing
// personal exists); Ed25519 is deterministic, so the same claims and key give the same text again for its QR.
// Changing a colour revokes the old code and issues the new one in the same transaction: there is never a new
// valid code while the old one is unrevoked.
import { issuePass, isProtocolError, type Colour, type PassClaims, type Scope } from '../protocol/index.js';
import type { ServerCore } from './core.js';
import { DomainError } from './errors.js';

export type PassStatus = 'active' | 'revoked' | 'replaced' | 'expired';

export interface PassRecord {
  readonly passId: string;
  readonly revocationId: string;
  readonly colour: Colour;
  readonly notBefore: number;
  readonly expiresAt: number;
  readonly scope: Scope;
  readonly issuedAt: number;
  readonly status: PassStatus;
  readonly kid: string;
  readonly replacedBy: string | null;
  readonly revokedAt: number | null;
  /** Holder-bound pass: the holder's public key (base64url) that the pass carries; null for a printable pass. */
  readonly holderKey: string | null;
}

interface PassRow {
  pass_id: string;
  revocation_id: string;
  colour: Colour;
  not_before: number;
  expires_at: number;
  scope: string;
  issued_at: number;
  kid: string;
  status: 'active' | 'revoked' | 'replaced';
  replaced_by: string | null;
  revoked_at: number | null;
  holder_key: string | null;
}

export interface IssueInput {
  readonly colour: Colour;
  readonly notBefore: number;
  readonly expiresAt: number;
  readonly scope: Scope;
  /** A holder-bound pass (issued when a wallet claims it): the holder's public key, base64url. */
  readonly holderKey?: string;
}

function toRecord(r: PassRow, now: number): PassRecord {
  return {
    passId: r.pass_id,
    revocationId: r.revocation_id,
    colour: r.colour,
    notBefore: r.not_before,
    expiresAt: r.expires_at,
    scope: JSON.parse(r.scope) as Scope,
    issuedAt: r.issued_at,
    status: r.status === 'active' && r.expires_at <= now ? 'expired' : r.status,
    kid: r.kid,
    replacedBy: r.replaced_by,
    revokedAt: r.revoked_at,
    holderKey: r.holder_key,
  };
}

export class PassService {
  private readonly core: ServerCore;

  constructor(core: ServerCore) {
    this.core = core;
  }

  issue(input: IssueInput, actor: string): { pass: PassRecord; text: string } {
    if (input.expiresAt <= input.notBefore) throw new DomainError('VALIDATION_FAILED');
    return this.core.change({}, (now) => {
      // A pass that would outlive the deployment's sunset is refused rather than issued: no device accepts any
      // pass after the sunset, and the admin should see that now, not at the gate. (An already-expired pass
      // stays issuable on purpose: it is how a site tests that its gates refuse one.)
      this.core.assertLive(now);
      const sunset = this.core.trust.policy().sunset;
      // detail: the sunset (ISO); the CLI and the page name the two ways out (a shorter pass, a later sunset).
      if (input.expiresAt > sunset)
        throw new DomainError('BEYOND_SUNSET', { detail: new Date(sunset * 1000).toISOString() });
      const { text, claims } = this.sign(input, now);
      this.insert(claims, this.core.keys.activeIssuer().kid);
      this.core.audit.record(now, actor, 'pass.issue', claims.passId, {
        colour: claims.colour,
        expiresAt: claims.expiresAt,
      });
      return { pass: this.get(claims.passId), text };
    });
  }

  /** The checks issue() makes, for a holder-bound pass that is issued later (when its wallet claims it). */
  checkTerms(input: IssueInput): void {
    if (input.expiresAt <= input.notBefore) throw new DomainError('VALIDATION_FAILED');
    if (input.expiresAt > this.core.trust.policy().sunset) throw new DomainError('VALIDATION_FAILED', { detail: 'sunset' });
    // A holder key of the real size, so a scope too long for a bound pass (QR version 13) is refused now.
    this.sign({ ...input, holderKey: 'A'.repeat(43) }, this.core.now());
  }

  list(opts: { status?: PassStatus | undefined; limit: number }): PassRecord[] {
    const now = this.core.now();
    const rows = this.core.db
      .prepare('SELECT * FROM passes ORDER BY issued_at DESC, rowid DESC')
      .iterate() as IterableIterator<PassRow>;
    const out: PassRecord[] = [];
    for (const row of rows) {
      const rec = toRecord(row, now);
      if (opts.status && rec.status !== opts.status) continue;
      out.push(rec);
      if (out.length >= opts.limit) break;
    }
    return out;
  }

  get(passId: string): PassRecord {
    const row = this.core.db.prepare('SELECT * FROM passes WHERE pass_id = ?').get(passId) as PassRow | undefined;
    if (!row) throw new DomainError('PASS_NOT_FOUND');
    return toRecord(row, this.core.now());
  }

  /** The pass text again (for its QR code). Only for a pass that is still active. */
  text(passId: string): string {
    const rec = this.get(passId);
    if (rec.status !== 'active') throw new DomainError('PASS_NOT_ACTIVE');
    let key;
    try {
      key = this.core.keys.issuerKey(rec.kid);
    } catch {
      throw new DomainError('KEY_UNAVAILABLE');
    }
    return issuePass(
      {
        issuer: key.issuer,
        colour: rec.colour,
        notBefore: rec.notBefore,
        expiresAt: rec.expiresAt,
        scope: rec.scope,
        issuedAt: rec.issuedAt,
        passId: rec.passId,
        revocationId: rec.revocationId,
        ...(rec.holderKey === null ? {} : { holderKey: rec.holderKey }),
      },
      key,
    ).text;
  }

  revoke(passId: string, actor: string): PassRecord {
    return this.core.change({ revocations: true }, (now) => {
      const rec = this.get(passId);
      if (rec.status === 'revoked' || rec.status === 'replaced') throw new DomainError('PASS_NOT_ACTIVE');
      this.core.db.prepare("UPDATE passes SET status = 'revoked', revoked_at = ? WHERE pass_id = ?").run(now, passId);
      const seq = this.core.revocations.addStep([{ revocationId: rec.revocationId, expiresAt: rec.expiresAt }], now);
      this.core.audit.record(now, actor, 'pass.revoke', passId, { seq });
      return this.get(passId);
    });
  }

  changeColour(passId: string, colour: Colour, actor: string): { pass: PassRecord; text: string; replaced: string } {
    return this.core.change({ revocations: true }, (now) => {
      const old = this.get(passId);
      if (old.status !== 'active') throw new DomainError('PASS_NOT_ACTIVE');
      const { text, claims } = this.sign(
        {
          colour,
          notBefore: old.notBefore,
          expiresAt: old.expiresAt,
          scope: old.scope,
          ...(old.holderKey === null ? {} : { holderKey: old.holderKey }),
        },
        now,
      );
      this.core.db
        .prepare("UPDATE passes SET status = 'replaced', replaced_by = ?, revoked_at = ? WHERE pass_id = ?")
        .run(claims.passId, now, passId);
      const seq = this.core.revocations.addStep([{ revocationId: old.revocationId, expiresAt: old.expiresAt }], now);
      this.insert(claims, this.core.keys.activeIssuer().kid);
      this.core.audit.record(now, actor, 'pass.colour', passId, {
        from: old.colour,
        to: colour,
        newPassId: claims.passId,
        seq,
      });
      return { pass: this.get(claims.passId), text, replaced: passId };
    });
  }

  private sign(input: IssueInput, now: number): { text: string; claims: PassClaims } {
    const key = this.core.keys.activeIssuer();
    try {
      return issuePass({ issuer: key.issuer, ...input, issuedAt: now }, key);
    } catch (err) {
      if (isProtocolError(err)) throw new DomainError('PASS_INVALID', { detail: err.code });
      throw err;
    }
  }

  private insert(c: PassClaims, kid: string): void {
    this.core.db
      .prepare(
        `INSERT INTO passes (pass_id, revocation_id, colour, not_before, expires_at, scope, issued_at, kid, status,
           holder_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)`,
      )
      .run(
        c.passId,
        c.revocationId,
        c.colour,
        c.notBefore,
        c.expiresAt,
        JSON.stringify(c.scope),
        c.issuedAt,
        kid,
        c.holderKey ?? null,
      );
  }
}
