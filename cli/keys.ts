// gatecode keys init --dir DIR [--issuer NAME]: a deployment root key and a first issuer key.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { generateSigningKey, isProtocolError, rootFingerprint } from '../protocol/index.js';
import { writePrivateKeyFile, writePublicKeyFile } from '../sync-server/keyfiles.js';
import { parseOptions, UsageError } from './usage.js';

const USAGE = `usage:
  gatecode keys init --dir DIR [--issuer NAME] [--root-name NAME]
      Creates DIR/root.key + DIR/root.pub (the deployment root: signs trust bundles and revocation lists)
      and DIR/issuer.key + DIR/issuer.pub (signs passes; NAME defaults to "issuer").
      Private key files are mode 0600; existing files are never overwritten.
  gatecode keys new --out FILE --issuer NAME
      One more Ed25519 key (a new issuer key, or a revocation key), FILE + FILE's .pub beside it.`;

function publicPathFor(file: string): string {
  return file.endsWith('.key') ? file.slice(0, -4) + '.pub' : file + '.pub';
}

function makeKey(name: string, what: string) {
  try {
    return generateSigningKey(name);
  } catch (err) {
    if (isProtocolError(err))
      throw new UsageError(`${what}: "${name}" is not a valid name (1-32 of A-Z a-z 0-9 . _ -)`);
    throw err;
  }
}

function writePair(file: string, key: ReturnType<typeof generateSigningKey>): void {
  // A KeyFileError exits 2 (exitCodeFor).
  writePrivateKeyFile(file, key);
  writePublicKeyFile(publicPathFor(file), key.publicKey);
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE + '\n');
    return sub === undefined ? 2 : 0;
  }
  const { values } = parseOptions(rest, {
    dir: { type: 'string' },
    issuer: { type: 'string' },
    'root-name': { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values['help']) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (sub === 'init') {
    const dir = values['dir'];
    if (typeof dir !== 'string') throw new UsageError('keys init: --dir DIR is required');
    const root = makeKey(typeof values['root-name'] === 'string' ? values['root-name'] : 'root', '--root-name');
    const issuer = makeKey(typeof values['issuer'] === 'string' ? values['issuer'] : 'issuer', '--issuer');
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new UsageError(`--dir: cannot create ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    // Check all four names first, so that a refused run leaves nothing half-made.
    for (const name of ['root.key', 'root.pub', 'issuer.key', 'issuer.pub']) {
      if (existsSync(path.join(dir, name)))
        throw new UsageError(`${path.join(dir, name)}: already exists; refusing to overwrite a key`);
    }
    writePair(path.join(dir, 'root.key'), root);
    writePair(path.join(dir, 'issuer.key'), issuer);
    process.stdout.write(
      [
        `root key    ${path.join(dir, 'root.key')}  kid ${root.kid}`,
        `            fingerprint ${rootFingerprint(root.publicKey)} (compare it when enrolling a device)`,
        `issuer key  ${path.join(dir, 'issuer.key')}  kid ${issuer.kid}  issuer "${issuer.issuer}"`,
        `public keys ${path.join(dir, 'root.pub')} ${path.join(dir, 'issuer.pub')}`,
      ].join('\n') + '\n',
    );
    return 0;
  }
  if (sub === 'new') {
    const out = values['out'];
    const name = values['issuer'];
    if (typeof out !== 'string' || typeof name !== 'string')
      throw new UsageError('keys new: --out FILE and --issuer NAME are required');
    const key = makeKey(name, '--issuer');
    writePair(out, key);
    process.stdout.write(`key ${out}  kid ${key.kid}  issuer "${key.issuer}"  public ${publicPathFor(out)}\n`);
    return 0;
  }
  throw new UsageError(`keys: unknown subcommand "${sub}" (init, new)`);
}
