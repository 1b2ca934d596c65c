// The webhook signature as a receiver checks it: a valid delivery passes; a tampered body, another secret, an old
// or a future timestamp and malformed headers are each refused with their own reason.
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../../sync-server/webhooks/signature.js';

const secret = 'whsec_test-secret';
const body = JSON.stringify({
  id: 'e1',
  type: 'alarm.raised',
  createdAt: 1_800_000_000,
  data: { kind: 'door-forced' },
});
const t = 1_800_000_000;

describe('webhook signature', () => {
  it('accepts the body it signed, within the window', () => {
    const header = signWebhook(secret, t, body);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhook(secret, header, body, t + 10)).toEqual({ ok: true, timestamp: t });
    expect(verifyWebhook(secret, header, Buffer.from(body), t - 10)).toEqual({ ok: true, timestamp: t });
  });

  const cases: { title: string; header: string | null; body: string; now: number; reason: string }[] = [
    {
      title: 'tampered body',
      header: signWebhook(secret, t, body),
      body: body.replace('door-forced', 'door-closed'),
      now: t,
      reason: 'BAD_SIGNATURE',
    },
    { title: 'another secret', header: signWebhook('whsec_other', t, body), body, now: t, reason: 'BAD_SIGNATURE' },
    {
      title: 'timestamp changed after signing',
      header: signWebhook(secret, t, body).replace(`t=${t}`, `t=${t + 1}`),
      body,
      now: t,
      reason: 'BAD_SIGNATURE',
    },
    { title: 'old timestamp (a replay)', header: signWebhook(secret, t - 301, body), body, now: t, reason: 'TOO_OLD' },
    { title: 'timestamp in the future', header: signWebhook(secret, t + 301, body), body, now: t, reason: 'IN_FUTURE' },
    { title: 'no header', header: null, body, now: t, reason: 'MALFORMED' },
    { title: 'no v1', header: `t=${t}`, body, now: t, reason: 'MALFORMED' },
    { title: 'no t', header: `v1=${'0'.repeat(64)}`, body, now: t, reason: 'MALFORMED' },
    { title: 'short v1', header: `t=${t},v1=abcd`, body, now: t, reason: 'MALFORMED' },
  ];
  it.each(cases)('refuses: $title', ({ header, body: b, now, reason }) => {
    expect(verifyWebhook(secret, header, b, now)).toEqual({ ok: false, reason });
  });

  it('takes any of several v1 signatures (a secret being changed) and a wider window when asked', () => {
    const good = signWebhook(secret, t, body).split(',')[1];
    expect(verifyWebhook(secret, `t=${t},v1=${'0'.repeat(64)},${good}`, body, t).ok).toBe(true);
    expect(verifyWebhook(secret, signWebhook(secret, t - 600, body), body, t, 900).ok).toBe(true);
  });
});
