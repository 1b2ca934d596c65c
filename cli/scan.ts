// `gatecode scan IMAGE... --bundle FILE [--revocations FILE] [--root-key FILE] [--site S] [--now ISO]`:
// decode each image and decide it exactly as a gate would (the same decision code, without the anti-passback
// store), one JSON line per image with the text, colour, reason and the time spent decoding, verifying and deciding.
import { createHmac, randomBytes } from 'node:crypto';
import { decideText } from '../device/decide.js';
import { describeReason } from '../device/reasons.js';
import type { DecideInputs } from '../device/decide.js';
import { isProtocolError, readRevocationsUnverified, verifyRevocations } from '../protocol/index.js';
import type { TrustBundle } from '../protocol/index.js';
import { loadBundle, loadPublicKey, readBytes } from './trust-files.js';
import { parseIsoSeconds, parseOptions, UsageError } from './usage.js';

const USAGE = `usage: gatecode scan IMAGE... --bundle FILE [--revocations FILE] [--root-key FILE] [--site S] [--now ISO] [--engine zxing|jsqr]

Decode each image and decide it as a gate at site S would, printing one JSON line per image:
  {"file","text","colour","reason","opens","note","signature","ms":{"decode","verify","decide"}}
text, colour and reason are null when no code was found.

  --bundle FILE        signed trust bundle (as written by "gatecode bundle create" or the server)
  --revocations FILE   signed revocation list (snapshot or delta from sequence 0)
  --root-key FILE      the deployment's root key file: checks the signatures of bundle and revocation list;
                       without it they are read unchecked and each line says "signature":"not checked"
  --site S             this gate's site id (without it only passes valid at all sites pass the scope check)
  --now ISO            decide at this time instead of the clock
  --engine E           decoder: zxing (default) or jsqr`;

interface Trust {
  bundle: TrustBundle;
  /** Whether the bundle's and the revocation list's signatures were checked against the root key. */
  signature: 'verified' | 'not checked';
  revoked: Set<string>;
  revocationsIssuedAt: number | null;
}

function loadTrust(bundleFile: string, revocationsFile: string | undefined, rootKeyFile: string | undefined): Trust {
  const { bundle, signature } = loadBundle(bundleFile, rootKeyFile);
  const revoked = new Set<string>();
  let revocationsIssuedAt: number | null = null;
  if (revocationsFile !== undefined) {
    const bytes = readBytes(revocationsFile, '--revocations');
    try {
      const delta =
        rootKeyFile === undefined
          ? readRevocationsUnverified(bytes).delta
          : verifyRevocations(bytes, { rootPublicKey: loadPublicKey(rootKeyFile, '--root-key'), bundle });
      for (const e of delta.added) revoked.add(e.revocationId);
      revocationsIssuedAt = delta.issuedAt;
    } catch (err) {
      if (isProtocolError(err)) throw new UsageError(`--revocations: ${revocationsFile} rejected (${err.code})`);
      throw err;
    }
  }
  return { bundle, signature, revoked, revocationsIssuedAt };
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(
    argv,
    {
      bundle: { type: 'string' },
      revocations: { type: 'string' },
      'root-key': { type: 'string' },
      site: { type: 'string' },
      now: { type: 'string' },
      engine: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    { positionals: true },
  );
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('give at least one IMAGE');
  if (values.bundle === undefined) throw new UsageError('--bundle FILE is required');
  const engine = values.engine ?? 'zxing';
  if (engine !== 'zxing' && engine !== 'jsqr')
    throw new UsageError(`--engine: expected zxing or jsqr, got "${engine}"`);
  const now = values.now !== undefined ? parseIsoSeconds(values.now, '--now') : Math.floor(Date.now() / 1000);
  const trust = loadTrust(values.bundle, values.revocations, values['root-key']);

  const secret = randomBytes(32);
  const signedAt =
    trust.revocationsIssuedAt !== null
      ? Math.min(trust.bundle.issuedAt, trust.revocationsIssuedAt)
      : trust.bundle.issuedAt;
  const inputs: DecideInputs = {
    trust: { bundle: trust.bundle, trustDataAt: signedAt, clockFloor: trust.bundle.issuedAt, sunsetReached: false },
    place: { site: values.site ?? '', zone: 'scan', direction: 'in' },
    options: { skewSeconds: 300, localActions: {}, localMaxOfflineAgeSeconds: null, passbackWindowSeconds: 0 },
    store: {
      isRevoked: (id) => trust.revoked.has(id),
      passHash: (id) => createHmac('sha256', secret).update(id).digest('hex').slice(0, 32),
      passbackCheck: () => null,
    },
  };

  const { loadGreyImage } = await import('../hardware/camera/image-file.js');
  const { createDecoder } = await import('../device/decode/index.js');
  const decoder = await createDecoder({ engine, worker: false, escalateEvery: 1 });
  let failed = 0;
  try {
    for (const file of positionals) {
      let frame;
      try {
        frame = await loadGreyImage(file);
      } catch (err) {
        failed++;
        process.stderr.write(`gatecode scan: ${(err as Error).message}\n`);
        continue;
      }
      const t0 = performance.now();
      const hit = await decoder.decode(frame);
      const decodeMs = performance.now() - t0;
      if (hit === null) {
        const line = {
          file,
          text: null,
          colour: null,
          reason: null,
          opens: false,
          signature: trust.signature,
          ms: { decode: round(decodeMs), verify: 0, decide: 0 },
        };
        process.stdout.write(JSON.stringify(line) + '\n');
        continue;
      }
      const { decision, verifyMs, decideMs } = decideText(hit.text, now, inputs);
      const line = {
        file,
        text: hit.text,
        colour: decision.colour,
        reason: decision.reason,
        opens: decision.opens,
        note: describeReason(decision.reason),
        signature: trust.signature,
        ms: { decode: round(decodeMs), verify: round(verifyMs), decide: round(decideMs) },
      };
      process.stdout.write(JSON.stringify(line) + '\n');
    }
  } finally {
    await decoder.close();
  }
  if (failed > 0) throw new UsageError(`${failed} of ${positionals.length} images could not be read`);
  return 0;
}
