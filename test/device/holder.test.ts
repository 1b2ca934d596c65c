// Holder-bound passes through the real device pipeline (simulated camera, real decoder, real SQLite store): the live
// code a wallet shows opens the gate; the same screenshot later, a replayed step, a printout of the bare pass and a
// code signed by another key are each red with their own reason; a printed (unbound) pass still opens.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePublicKey, generateSigningKey, issuePass } from '../../protocol/index.js';
import { presentHolderPass } from '../../protocol/holder/proof.js';
import { renderPhoneScene } from '../../hardware/camera/sim/scene.js';
import { ProofReplayGuard } from '../../device/holder-replay.js';
import { Harness } from './helpers/harness.js';
import { T0_S } from '../support/clock.js';

let h: Harness;
let seed = 40;
const frameOf = (text: string) => renderPhoneScene(text, { seed: seed++, codeSize: 0.8, perspective: 0 });

beforeAll(async () => {
  h = await Harness.start();
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

function boundPass(holderKey: string): { text: string; passId: string; revocationId: string } {
  const { text, claims } = issuePass(
    { colour: 'green', issuedAt: T0_S - 3600, notBefore: T0_S - 3600, expiresAt: T0_S + 86_400, scope: 'all', holderKey },
    h.d.issuer,
  );
  return { text, passId: claims.passId, revocationId: claims.revocationId };
}

describe('holder-bound passes at the gate (real decoder and store)', () => {
  it('live code green; the same screenshot 2 minutes later red PROOF_STALE; a replay red PROOF_REPLAYED', async () => {
    const holder = generateSigningKey('holder');
    const pass = boundPass(encodePublicKey(holder.publicKey));
    const screenshot = await frameOf(presentHolderPass(pass.text, pass.passId, T0_S, holder.privateKey));
    const live = await h.decideFrame(screenshot);
    expect([live?.colour, live?.reason, live?.opens]).toEqual(['green', 'OK', true]);

    h.advance(10_000); // inside the window, but this step was used here already
    const replay = await h.decideFrame(screenshot);
    expect([replay?.colour, replay?.reason, replay?.opens]).toEqual(['red', 'PROOF_REPLAYED', false]);

    h.advance(110_000); // two minutes after the screenshot was taken
    const stale = await h.decideFrame(screenshot);
    expect([stale?.colour, stale?.reason, stale?.opens]).toEqual(['red', 'PROOF_STALE', false]);
    expect(h.store.pendingEvents(10).map((e) => e.reason)).toEqual(['OK', 'PROOF_REPLAYED', 'PROOF_STALE']);
    expect(h.store.counters()['denied:PROOF_STALE']).toBe(1);
  }, 60_000);

  it('a printout of the bound pass, a code by another key: red with their reasons; a printed pass opens', async () => {
    const holder = generateSigningKey('holder');
    const pass = boundPass(encodePublicKey(holder.publicKey));
    const now = Math.floor(h.clock.now() / 1000);
    const bare = await h.decideFrame(await frameOf(pass.text));
    expect([bare?.colour, bare?.reason]).toEqual(['red', 'PROOF_MISSING']);
    const thief = generateSigningKey('holder');
    const forged = await h.decideFrame(await frameOf(presentHolderPass(pass.text, pass.passId, now, thief.privateKey)));
    expect([forged?.colour, forged?.reason]).toEqual(['red', 'PROOF_WRONG_KEY']);
    const printed = h.d.pass({ issuedAt: T0_S - 3600 });
    const ok = await h.decideFrame(await renderPhoneScene(printed.text, { seed: 5 }));
    expect([ok?.colour, ok?.reason, ok?.opens]).toEqual(['green', 'OK', true]);
  }, 60_000);
});

describe('the gate remembers checked pass signatures (VerifiedPassCache in the pipeline)', () => {
  it('a new live code of a remembered pass opens; a revocation empties the memory and the pass is red', async () => {
    const holder = generateSigningKey('holder');
    const pass = boundPass(encodePublicKey(holder.publicKey));
    // The simulated phone scene is rendered with a new seed each time; the odd one the decoder misses is shown again.
    const showNow = async () => {
      const now = Math.floor(h.clock.now() / 1000);
      const code = presentHolderPass(pass.text, pass.passId, now, holder.privateKey);
      for (let attempt = 0; attempt < 3; attempt++) {
        const decision = await h.decideFrame(await frameOf(code));
        if (decision !== null) return decision;
      }
      return null;
    };
    h.advance(60_000); // past the steps the tests above used
    expect((await showNow())?.reason).toBe('OK');
    expect(h.runtime.pipeline.verifiedPasses).toBeGreaterThan(0);
    h.advance(6000); // the next live code: same pass, new proof
    expect((await showNow())?.reason).toBe('PASSBACK'); // verified (anti-passback knows it entered)
    h.d.revoke([pass.revocationId]);
    expect(h.runtime.trust.accept('revocations', h.d.snapshot()).kind).toBe('applied');
    expect(h.runtime.pipeline.verifiedPasses).toBe(0);
    h.advance(6000);
    const revoked = await showNow();
    expect([revoked?.colour, revoked?.reason, revoked?.opens]).toEqual(['red', 'REVOKED', false]);
  }, 60_000);

  it('nothing of a holder code reaches the disk: no pass id, holder key, proof or step in any file', async () => {
    const holder = generateSigningKey('holder');
    const pass = boundPass(encodePublicKey(holder.publicKey));
    h.advance(60_000);
    const now = Math.floor(h.clock.now() / 1000);
    const shown = presentHolderPass(pass.text, pass.passId, now, holder.privateKey);
    expect((await h.decideFrame(await frameOf(shown)))?.reason).toBe('OK');
    h.advance(1000);
    // The same code again: either still the same showing (no second verdict) or a replay; never green, and the
    // replay memory now holds the step, which must not reach the disk either.
    expect([undefined, 'PROOF_REPLAYED']).toContain((await h.decideFrame(await frameOf(shown)))?.reason);
    const needles = [pass.passId, pass.revocationId, encodePublicKey(holder.publicKey), shown.slice(4, 112)];
    const files = fs.readdirSync(h.dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const bytes = fs.readFileSync(path.join(f.parentPath, f.name));
      for (const needle of needles) {
        expect(bytes.includes(Buffer.from(needle)), `${f.name} holds ${needle.slice(0, 12)}`).toBe(false);
        // The ids also as raw bytes (a BLOB column).
        if (/^[0-9a-f]+$/.test(needle)) expect(bytes.includes(Buffer.from(needle, 'hex')), f.name).toBe(false);
      }
    }
  }, 60_000);
});

describe('ProofReplayGuard', () => {
  it('remembers the newest accepted step per pass and forgets old entries when full', () => {
    const g = new ProofReplayGuard(2);
    expect(g.seen('a', 10, 50, 30)).toBe(false);
    expect(g.seen('a', 10, 50, 30)).toBe(true);
    expect(g.seen('a', 9, 50, 30)).toBe(true);
    expect(g.seen('a', 11, 55, 30)).toBe(false);
    expect(g.seen('b', 11, 55, 30)).toBe(false);
    expect(g.seen('c', 100, 500, 30)).toBe(false); // a and b are far older than the window: pruned
    expect(g.size).toBe(1);
    expect(g.seen('a', 11, 500, 30)).toBe(false);
  });
});
