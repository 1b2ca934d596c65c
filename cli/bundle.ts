// gatecode bundle create|show: make and read signed trust bundles.
import fs from 'node:fs';
import { COLOURS, encodePublicKey, isProtocolError, kidFor, rootFingerprint, signBundle } from '../protocol/index.js';
import type { ColourAction, IssuerKeyEntry, Policy, TrustBundle } from '../protocol/index.js';
import { isoOf, loadBundle, loadPublicKey, loadSigningKey, parseUint, writeOutput } from './trust-files.js';
import { dispatchSubcommand, parseDuration, parseIsoSeconds, parseOptions, UsageError } from './usage.js';

const USAGE = `usage:
  gatecode bundle create --root-key FILE --issuer-key FILE... [--max-offline 48h] [--sunset ISO] --out FILE
        [--revocation-key FILE...] [--actions green=open,yellow=attention,red=deny] [--version N] [--now ISO]
        [--valid-from ISO]
      Signs a trust bundle with the root key. Each --issuer-key is an issuer's key file (its issuer name and
      public key are taken from it); passes it issued from --valid-from (default: when the key file was written)
      until the sunset verify. --sunset defaults to one
      year after now; devices refuse every pass after it and wipe their stores. --version defaults to now in
      epoch seconds, so a later bundle always has a higher version.
  gatecode bundle show --bundle FILE [--root-key FILE]
      Prints the bundle as JSON; with --root-key its signature is checked, otherwise it is marked unchecked.`;

const YEAR = 365 * 86_400;

function parse(argv: string[]) {
  return parseOptions(argv, {
    'root-key': { type: 'string' },
    'issuer-key': { type: 'string', multiple: true },
    'revocation-key': { type: 'string', multiple: true },
    'max-offline': { type: 'string' },
    sunset: { type: 'string' },
    actions: { type: 'string' },
    version: { type: 'string' },
    now: { type: 'string' },
    'valid-from': { type: 'string' },
    out: { type: 'string' },
    bundle: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }).values;
}

function parseActions(text: string | undefined): Policy['actions'] {
  const actions: Record<string, ColourAction> = { green: 'open', yellow: 'attention', red: 'deny' };
  if (text === undefined) return actions as Policy['actions'];
  for (const part of text.split(',')) {
    const [colour, action] = part.split('=');
    if (
      !colour ||
      !(COLOURS as readonly string[]).includes(colour) ||
      !action ||
      !['open', 'attention', 'deny'].includes(action)
    ) {
      throw new UsageError(`--actions: expected e.g. green=open,yellow=attention,red=deny, got "${text}"`);
    }
    actions[colour] = action as ColourAction;
  }
  return actions as Policy['actions'];
}

/**
 * Without --valid-from an issuer key is valid from when its file was written (key files are written once and never
 * overwritten), so passes issued with it before this bundle was made still verify; never later than `now`.
 */
function keyWrittenAt(file: string, now: number): number {
  return Math.min(now, Math.floor(fs.statSync(file).mtimeMs / 1000));
}

function create(v: ReturnType<typeof parse>): number {
  const rootFile = v['root-key'];
  const out = v.out;
  const issuerFiles = v['issuer-key'] ?? [];
  if (rootFile === undefined || out === undefined || issuerFiles.length === 0) {
    throw new UsageError('bundle create: --root-key FILE, at least one --issuer-key FILE and --out FILE are required');
  }
  const now = v.now !== undefined ? parseIsoSeconds(v.now, '--now') : Math.floor(Date.now() / 1000);
  const sunset = v.sunset !== undefined ? parseIsoSeconds(v.sunset, '--sunset') : now + YEAR;
  if (sunset <= now) throw new UsageError('--sunset: must be in the future');
  const maxOfflineAgeSeconds = parseDuration(v['max-offline'] ?? '48h', '--max-offline');
  if (maxOfflineAgeSeconds < 1) throw new UsageError('--max-offline: must be at least 1s');
  const givenValidFrom = v['valid-from'] !== undefined ? parseIsoSeconds(v['valid-from'], '--valid-from') : undefined;
  if (givenValidFrom !== undefined && givenValidFrom >= sunset) {
    throw new UsageError('--valid-from: must be before the sunset');
  }
  const root = loadSigningKey(rootFile, '--root-key');
  const issuers: IssuerKeyEntry[] = issuerFiles.map((file) => {
    const k = loadSigningKey(file, '--issuer-key');
    return {
      kid: k.kid,
      issuer: k.issuer,
      publicKey: encodePublicKey(k.publicKey),
      validFrom: givenValidFrom ?? keyWrittenAt(file, now),
      validUntil: sunset,
      status: 'active',
    };
  });
  const revocationKeys = (v['revocation-key'] ?? []).map((file) => {
    const pub = loadPublicKey(file, '--revocation-key');
    return { kid: kidFor(pub), publicKey: encodePublicKey(pub) };
  });
  const bundle: TrustBundle = {
    version: parseUint(v.version, '--version') ?? now,
    issuedAt: now,
    sunset,
    issuers,
    revocationKeys,
    policy: { actions: parseActions(v.actions), maxOfflineAgeSeconds },
  };
  let bytes: Uint8Array;
  try {
    bytes = signBundle(bundle, root);
  } catch (err) {
    if (isProtocolError(err)) throw new UsageError(`bundle create: ${err.message}`);
    throw err;
  }
  writeOutput(out, bytes, '--out');
  process.stdout.write(
    `bundle ${out}: version ${bundle.version}, ${issuers.length} issuer key(s), sunset ${isoOf(sunset)}, ` +
      `root fingerprint ${rootFingerprint(root.publicKey)}\n`,
  );
  return 0;
}

function show(v: ReturnType<typeof parse>): number {
  if (v.bundle === undefined) throw new UsageError('bundle show: --bundle FILE is required');
  const { bundle, signature, signerKid } = loadBundle(v.bundle, v['root-key']);
  const out = {
    signature,
    signerKid,
    ...bundle,
    issuedAtUtc: isoOf(bundle.issuedAt),
    sunsetUtc: isoOf(bundle.sunset),
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  return dispatchSubcommand(argv, {
    command: 'bundle',
    usage: USAGE,
    parse,
    wantsHelp: (v) => v.help === true,
    subcommands: { create, show },
  });
}
