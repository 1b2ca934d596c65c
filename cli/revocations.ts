// gatecode revocations create|show: signed revocation lists as files (what the server publishes, made by hand).
import {
  inspectPass,
  isLogId,
  isProtocolError,
  newLogId,
  readRevocationsUnverified,
  signRevocations,
  verifyRevocations,
} from '../protocol/index.js';
import type { RevocationDelta, RevokedEntry } from '../protocol/index.js';
import {
  isoOf,
  loadBundle,
  loadPublicKey,
  loadSigningKey,
  parseUint,
  passArgument,
  readBytes,
  writeOutput,
} from './trust-files.js';
import { dispatchSubcommand, parseIsoSeconds, parseOptions, UsageError } from './usage.js';

const USAGE = `usage:
  gatecode revocations create --key FILE --out FILE (--from N --to N --log-id HEX | --snapshot --to N)
        [--log-id HEX] [--revoke RID[@ISO]...] [--revoke-pass TEXT|-...] [--unrevoke RID...]
        [--expires ISO] [--bundle FILE] [--now ISO]
      Signs a revocation list with the root key or a revocation key named in the bundle.
      A delta moves devices from sequence --from to --to of the history --log-id (32 hex characters, printed
      when its first snapshot was made); a --snapshot replaces the whole list at --to and, without --log-id,
      starts a new history.
      --revoke takes a revocation id (hex, from \`pass inspect\`) with its pass's expiry after @, or --expires
      for all; --revoke-pass takes the pass itself and reads both. --unrevoke (delta only) lifts a revocation.
      With --bundle the key is checked to be the bundle's root or one of its revocation keys.
  gatecode revocations show --revocations FILE [--bundle FILE --root-key FILE]
      Prints the list as JSON; with --bundle and --root-key its signature is checked.`;

function parse(argv: string[]) {
  return parseOptions(argv, {
    key: { type: 'string' },
    out: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'log-id': { type: 'string' },
    snapshot: { type: 'boolean' },
    revoke: { type: 'string', multiple: true },
    'revoke-pass': { type: 'string', multiple: true },
    unrevoke: { type: 'string', multiple: true },
    expires: { type: 'string' },
    bundle: { type: 'string' },
    'root-key': { type: 'string' },
    revocations: { type: 'string' },
    now: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }).values;
}

type Values = ReturnType<typeof parse>;
const RID = /^(?:[0-9a-f]{2}){16,32}$/;

function revokedEntries(v: Values): RevokedEntry[] {
  const fallback = v.expires !== undefined ? parseIsoSeconds(v.expires, '--expires') : undefined;
  const entries: RevokedEntry[] = (v.revoke ?? []).map((arg) => {
    const [rid = '', at] = arg.split('@');
    if (!RID.test(rid))
      throw new UsageError(`--revoke: "${rid}" is not a revocation id (32-64 lower-case hex characters)`);
    const expiresAt = at !== undefined ? parseIsoSeconds(at, '--revoke') : fallback;
    if (expiresAt === undefined)
      throw new UsageError(`--revoke ${rid}: give the pass's expiry as RID@ISO or with --expires`);
    return { revocationId: rid, expiresAt };
  });
  for (const arg of v['revoke-pass'] ?? []) {
    let claims: Record<string, unknown>;
    try {
      claims = inspectPass(passArgument(arg)).claims;
    } catch (err) {
      if (isProtocolError(err)) throw new UsageError(`--revoke-pass: not a gatecode pass (${err.code})`);
      throw err;
    }
    const rid = claims['revocationId'];
    const exp = claims['expiresAt'] as { epoch?: unknown } | undefined;
    if (typeof rid !== 'string' || !RID.test(rid) || typeof exp?.epoch !== 'number')
      throw new UsageError('--revoke-pass: the pass has no usable revocation id or expiry');
    entries.push({ revocationId: rid, expiresAt: exp.epoch });
  }
  return entries;
}

function create(v: Values): number {
  if (v.key === undefined || v.out === undefined)
    throw new UsageError('revocations create: --key FILE and --out FILE are required');
  const to = parseUint(v.to, '--to');
  if (to === undefined) throw new UsageError('revocations create: --to N is required');
  const from = parseUint(v.from, '--from');
  if (v.snapshot && from !== undefined) throw new UsageError('revocations create: a --snapshot has no --from');
  if (!v.snapshot && from === undefined)
    throw new UsageError('revocations create: give --from N (a delta) or --snapshot');
  if (v.snapshot && (v.unrevoke ?? []).length > 0)
    throw new UsageError('revocations create: a --snapshot lists what is revoked; --unrevoke is for deltas');
  for (const rid of v.unrevoke ?? [])
    if (!RID.test(rid)) throw new UsageError(`--unrevoke: "${rid}" is not a revocation id`);
  const key = loadSigningKey(v.key, '--key');
  if (v.bundle !== undefined) {
    const { bundle, signerKid } = loadBundle(v.bundle, undefined);
    if (key.kid !== signerKid && !bundle.revocationKeys.some((k) => k.kid === key.kid)) {
      throw new UsageError(
        `--key: kid ${key.kid} is neither the bundle's root nor one of its revocation keys; devices would refuse the list`,
      );
    }
  }
  const logId = v['log-id'] ?? (v.snapshot ? newLogId() : undefined);
  if (logId === undefined)
    throw new UsageError('revocations create: a delta continues a history; give its --log-id (32 hex characters)');
  if (!isLogId(logId)) throw new UsageError(`--log-id: "${logId}" is not 32 lower-case hex characters`);
  const delta: RevocationDelta = {
    kind: v.snapshot ? 'snapshot' : 'delta',
    logId,
    fromSeq: from ?? 0,
    toSeq: to,
    issuedAt: v.now !== undefined ? parseIsoSeconds(v.now, '--now') : Math.floor(Date.now() / 1000),
    added: revokedEntries(v),
    removed: v.unrevoke ?? [],
  };
  let bytes: Uint8Array;
  try {
    bytes = signRevocations(delta, key);
  } catch (err) {
    if (isProtocolError(err)) throw new UsageError(`revocations create: ${err.message}`);
    throw err;
  }
  writeOutput(v.out, bytes, '--out');
  process.stdout.write(
    `revocations ${v.out}: ${delta.kind} ${delta.fromSeq}→${delta.toSeq} of history ${logId}, ${delta.added.length} revoked, ${delta.removed.length} lifted\n`,
  );
  return 0;
}

function show(v: Values): number {
  if (v.revocations === undefined) throw new UsageError('revocations show: --revocations FILE is required');
  const bytes = readBytes(v.revocations, '--revocations');
  let out: Record<string, unknown>;
  try {
    if (v.bundle !== undefined && v['root-key'] !== undefined) {
      const { bundle } = loadBundle(v.bundle, v['root-key']);
      const delta = verifyRevocations(bytes, { rootPublicKey: loadPublicKey(v['root-key'], '--root-key'), bundle });
      out = { signature: 'verified', ...delta };
    } else {
      const { delta, signerKid } = readRevocationsUnverified(bytes);
      out = { signature: 'not checked', signerKid, ...delta };
    }
  } catch (err) {
    if (isProtocolError(err))
      throw new UsageError(`--revocations: ${v.revocations} is not a valid revocation list (${err.code})`);
    throw err;
  }
  process.stdout.write(JSON.stringify({ ...out, issuedAtUtc: isoOf(out['issuedAt'] as number) }, null, 2) + '\n');
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  return dispatchSubcommand(argv, {
    command: 'revocations',
    usage: USAGE,
    parse,
    wantsHelp: (v) => v.help === true,
    subcommands: { create, show },
  });
}
