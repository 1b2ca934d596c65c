// gatecode pass issue|inspect|verify.
import QRCode from 'qrcode';
import {
  COLOURS,
  evaluatePass,
  inspectPass,
  isProtocolError,
  issuePass,
  readRevocationsUnverified,
  verifyRevocations,
} from '../protocol/index.js';
import type { Colour, RevocationDelta, Scope, VerifyContext } from '../protocol/index.js';
import {
  isoOf,
  loadBundle,
  loadPublicKey,
  loadSigningKey,
  passArgument,
  readBytes,
  writeOutput,
} from './trust-files.js';
import { dispatchSubcommand, parseDuration, parseIsoSeconds, parseOptions, UsageError } from './usage.js';

const USAGE = `usage:
  gatecode pass issue --issuer-key FILE --colour green|yellow|red --valid-for 30d [--scope S1,S2]
        [--not-before ISO] [--now ISO] [--png FILE] [--svg FILE] [--ecc L|M|Q|H]
      Prints the GC1: text. --scope defaults to all sites of the issuer. --png/--svg write the QR code
      (error correction --ecc, default M).
  gatecode pass inspect TEXT|-
      Prints every field the pass holds as JSON, WITHOUT checking it (verified: false).
  gatecode pass verify TEXT|- --bundle FILE [--revocations FILE] [--now ISO] [--site S]
        [--root-key FILE] [--skew 300s] [--synced-at ISO]
      Prints one JSON object with colour, reason and action; exit 0 whenever a verdict was reached.
      --root-key (root public or private key) checks the bundle's and revocation list's signatures;
      without it they are read unchecked and the output says so. Without --site only passes scoped to
      all sites are green. --synced-at sets when the trust data was last synced (for BUNDLE_STALE).
  TEXT holds spaces (base45): quote it, or give - and pipe it in.`;

function parse(argv: string[]) {
  return parseOptions(
    argv,
    {
      'issuer-key': { type: 'string' },
      colour: { type: 'string' },
      'valid-for': { type: 'string' },
      scope: { type: 'string' },
      'not-before': { type: 'string' },
      now: { type: 'string' },
      png: { type: 'string' },
      svg: { type: 'string' },
      ecc: { type: 'string' },
      bundle: { type: 'string' },
      revocations: { type: 'string' },
      site: { type: 'string' },
      'root-key': { type: 'string' },
      skew: { type: 'string' },
      'synced-at': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    { positionals: true },
  );
}

type Parsed = ReturnType<typeof parse>;

function nowOf(v: Parsed['values']): number {
  return v.now !== undefined ? parseIsoSeconds(v.now, '--now') : Math.floor(Date.now() / 1000);
}

async function issue({ values: v, positionals }: Parsed): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`pass issue: unexpected argument "${positionals[0]}"`);
  if (v['issuer-key'] === undefined || v.colour === undefined || v['valid-for'] === undefined) {
    throw new UsageError(
      'pass issue: --issuer-key FILE, --colour green|yellow|red and --valid-for DURATION are required',
    );
  }
  if (!(COLOURS as readonly string[]).includes(v.colour))
    throw new UsageError(`--colour: green, yellow or red, got "${v.colour}"`);
  const ecc = v.ecc ?? 'M';
  if (!['L', 'M', 'Q', 'H'].includes(ecc)) throw new UsageError(`--ecc: L, M, Q or H, got "${ecc}"`);
  const now = nowOf(v);
  const notBefore = v['not-before'] !== undefined ? parseIsoSeconds(v['not-before'], '--not-before') : now;
  const validFor = parseDuration(v['valid-for'], '--valid-for');
  if (validFor < 1) throw new UsageError('--valid-for: must be at least 1s');
  const scope: Scope = v.scope === undefined ? 'all' : v.scope.split(',').map((s) => s.trim());
  const key = loadSigningKey(v['issuer-key'], '--issuer-key');
  let text: string;
  try {
    ({ text } = issuePass(
      { colour: v.colour as Colour, notBefore, expiresAt: notBefore + validFor, issuedAt: now, scope },
      key,
    ));
  } catch (err) {
    if (isProtocolError(err)) throw new UsageError(`pass issue: ${err.message}`);
    throw err;
  }
  const level = ecc as 'L' | 'M' | 'Q' | 'H';
  if (v.png !== undefined)
    writeOutput(
      v.png,
      await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: level, margin: 4, scale: 8 }),
      '--png',
    );
  if (v.svg !== undefined)
    writeOutput(v.svg, await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: level, margin: 4 }), '--svg');
  process.stdout.write(text + '\n');
  return 0;
}

function inspect({ values: v, positionals }: Parsed): number {
  if (Object.keys(v).length > 0) throw new UsageError('pass inspect: takes only TEXT or -');
  if (positionals.length !== 1) throw new UsageError('pass inspect: give exactly one pass (TEXT or -)');
  const text = passArgument(positionals[0]);
  try {
    process.stdout.write(JSON.stringify(inspectPass(text), null, 2) + '\n');
    return 0;
  } catch (err) {
    if (!isProtocolError(err)) throw err;
    process.stdout.write(JSON.stringify({ verified: false, decodable: false, reason: err.code }) + '\n');
    return 1;
  }
}

function loadRevocations(file: string, ctx: { rootKeyFile: string | undefined; bundle: VerifyContext['bundle'] }) {
  const bytes = readBytes(file, '--revocations');
  try {
    if (ctx.rootKeyFile === undefined)
      return { delta: readRevocationsUnverified(bytes).delta, signature: 'not checked' as const };
    const rootPublicKey = loadPublicKey(ctx.rootKeyFile, '--root-key');
    return { delta: verifyRevocations(bytes, { rootPublicKey, bundle: ctx.bundle }), signature: 'verified' as const };
  } catch (err) {
    if (isProtocolError(err))
      throw new UsageError(`--revocations: ${file} is not a valid revocation list (${err.code})`);
    throw err;
  }
}

function verify({ values: v, positionals }: Parsed): number {
  if (positionals.length !== 1) throw new UsageError('pass verify: give exactly one pass (TEXT or -)');
  if (v.bundle === undefined) throw new UsageError('pass verify: --bundle FILE is required');
  for (const o of ['issuer-key', 'colour', 'valid-for', 'scope', 'not-before', 'png', 'svg', 'ecc'] as const) {
    if (v[o] !== undefined) throw new UsageError(`pass verify: --${o} belongs to pass issue`);
  }
  const now = nowOf(v);
  const { bundle, signature } = loadBundle(v.bundle, v['root-key']);
  let revocations: { delta: RevocationDelta; signature: string } | null = null;
  if (v.revocations !== undefined) revocations = loadRevocations(v.revocations, { rootKeyFile: v['root-key'], bundle });
  const revoked = new Set(revocations?.delta.added.map((a) => a.revocationId) ?? []);
  const ctx: VerifyContext = {
    bundle,
    now,
    isRevoked: (rid) => revoked.has(rid),
    ...(v.site !== undefined ? { site: v.site } : {}),
    ...(v.skew !== undefined ? { skewSeconds: parseDuration(v.skew, '--skew') } : {}),
    ...(v['synced-at'] !== undefined ? { trustDataAt: parseIsoSeconds(v['synced-at'], '--synced-at') } : {}),
  };
  const text = passArgument(positionals[0]);
  const verdict = evaluatePass(text, ctx);
  const out = {
    colour: verdict.colour,
    reason: verdict.reason,
    action: verdict.action,
    claims: verdict.claims,
    now: isoOf(now),
    site: v.site ?? null,
    bundle: { version: bundle.version, signature },
    revocations: revocations && {
      kind: revocations.delta.kind,
      toSeq: revocations.delta.toSeq,
      revoked: revoked.size,
      signature: revocations.signature,
    },
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  return dispatchSubcommand(argv, {
    command: 'pass',
    usage: USAGE,
    parse,
    wantsHelp: (p) => p.values.help === true,
    subcommands: { issue, inspect, verify },
  });
}
