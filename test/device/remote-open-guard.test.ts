// Remote open commands: only a fresh command signed by the pinned root key, for this gate, opens, and only once.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RemoteOpenGuard } from '../../device/remote/open-guard.js';
import { generateSigningKey } from '../../protocol/keys.js';
import { signRemoteLockdown, signRemoteOpen } from '../../protocol/remote-open.js';

const root = generateSigningKey('acme');
const other = generateSigningKey('acme');
const NOW = 1_800_000_000;
const command = (over: Partial<Parameters<typeof signRemoteOpen>[0]> = {}, key = root) =>
  signRemoteOpen(
    {
      site: 'hq',
      gate: 'north-1',
      issuedAt: NOW,
      expiresAt: NOW + 10,
      nonce: randomBytes(16).toString('hex'),
      ...over,
    },
    key,
  );

describe('RemoteOpenGuard', () => {
  it('opens once for a fresh command; a replay of the same bytes opens nothing', () => {
    const guard = new RemoteOpenGuard(root.publicKey, { site: 'hq', gate: 'north-1' });
    const bytes = command();
    expect(guard.check(bytes, NOW + 1)).toMatchObject({ ok: true, command: { gate: 'north-1' } });
    expect(guard.check(bytes, NOW + 2)).toEqual({ ok: false, reason: 'REPLAYED' });
    expect(guard.check(command(), NOW + 2)).toMatchObject({ ok: true }); // a new nonce is a new command
  });

  it('refuses an expired command, one from the future, another gate, another key, and tampered bytes', () => {
    const guard = new RemoteOpenGuard(root.publicKey, { site: 'hq', gate: 'north-1' });
    expect(guard.check(command(), NOW + 12)).toEqual({ ok: false, reason: 'EXPIRED' });
    expect(guard.check(command({ issuedAt: NOW + 60, expiresAt: NOW + 70 }), NOW)).toEqual({
      ok: false,
      reason: 'NOT_YET_VALID',
    });
    expect(guard.check(command({ gate: 'south-2' }), NOW)).toEqual({ ok: false, reason: 'WRONG_GATE' });
    expect(guard.check(command({}, other), NOW)).toMatchObject({
      ok: false,
      reason: 'BAD_COMMAND',
      detail: 'UNKNOWN_KEY',
    });
    const tampered = command();
    tampered[tampered.length - 1] = (tampered.at(-1) ?? 0) ^ 1;
    expect(guard.check(tampered, NOW)).toMatchObject({ ok: false, reason: 'BAD_COMMAND', detail: 'BAD_SIGNATURE' });
  });

  it('will not sign a command valid for longer than 30 s', () => {
    expect(() => command({ expiresAt: NOW + 31 })).toThrow(/validity/);
  });

  it('checks a lockdown command the same way; an open command is not a lockdown command, nor the reverse', () => {
    const guard = new RemoteOpenGuard(root.publicKey, { site: 'hq', gate: 'north-1' });
    const lock = (on: boolean, nonce = randomBytes(16).toString('hex'), key = root) =>
      signRemoteLockdown({ site: 'hq', gate: 'north-1', issuedAt: NOW, expiresAt: NOW + 5, nonce, on }, key);
    expect(guard.checkLockdown(lock(true), NOW)).toMatchObject({ ok: true, command: { on: true } });
    expect(guard.checkLockdown(lock(false), NOW)).toMatchObject({ ok: true, command: { on: false } });
    const once = lock(true);
    expect(guard.checkLockdown(once, NOW)).toMatchObject({ ok: true });
    expect(guard.checkLockdown(once, NOW + 1)).toEqual({ ok: false, reason: 'REPLAYED' });
    expect(guard.checkLockdown(lock(true), NOW + 20)).toEqual({ ok: false, reason: 'EXPIRED' });
    expect(guard.checkLockdown(lock(true, undefined, other), NOW)).toMatchObject({ reason: 'BAD_COMMAND' });
    expect(guard.checkLockdown(command(), NOW)).toMatchObject({ ok: false, reason: 'BAD_COMMAND', detail: 'MALFORMED' });
    expect(guard.check(lock(true), NOW)).toMatchObject({ ok: false, reason: 'BAD_COMMAND', detail: 'MALFORMED' });
  });
});
