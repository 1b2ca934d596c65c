// `gatecode device enrol --config FILE --code URI`: enrol this device with a one-time enrolment code, pinning the
// deployment root key named by the code's fingerprint. Run once at installation, before `gatecode device`.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../device/config/load.js';
import { openStore } from '../device/store/index.js';
import { parseEnrolUri } from '../device/sync/enrol-uri.js';
import { enrol } from '../device/sync/enrolment.js';
import { SyncClient } from '../device/sync/client.js';
import { SyncError } from '../device/sync/errors.js';
import { parseOptions, UsageError } from './usage.js';

/** The store file inside the device's data directory. */
export const STORE_FILE = 'device.db';

const USAGE = `usage: gatecode device enrol --config FILE --code URI [--name NAME] [--reenrol]
       gatecode device enrol --data DIR --code URI [--name NAME] [--reenrol]

Enrols this device with the server named in the enrolment code (gatecode-enrol:?u=…&c=…&fp=…, from the admin
page or \`gatecode admin enrol\`). The server's root key is checked against the fingerprint in the code and pinned;
the device id, token and root key are kept in the device store (DIR/${STORE_FILE}).

  --config FILE  the device config (its dataDir holds the store)
  --data DIR     the data directory, instead of --config
  --code URI     the enrolment code; "-" reads it from standard input
  --name NAME    a name the server shows for this device (default: the config's gate)
  --reenrol      replace an existing enrolment (same deployment root only)`;

interface EnrolArgs {
  readonly dataDir: string;
  readonly code: string;
  readonly name: string | undefined;
  readonly reenrol: boolean;
}

function parse(argv: string[]): EnrolArgs | null {
  const { values } = parseOptions(argv, {
    config: { type: 'string' },
    data: { type: 'string' },
    code: { type: 'string' },
    name: { type: 'string' },
    reenrol: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return null;
  if (values.code === undefined) throw new UsageError('--code URI is required');
  if ((values.config === undefined) === (values.data === undefined))
    throw new UsageError('give --config FILE or --data DIR');
  let dataDir: string;
  let name = values.name;
  if (values.config !== undefined) {
    const config = loadConfig(values.config); // a ConfigError exits 2 (exitCodeFor)
    dataDir = config.dataDir;
    name ??= config.gate;
  } else {
    dataDir = path.resolve(values.data as string);
  }
  let code = values.code;
  if (code === '-') {
    try {
      code = fs.readFileSync(0, 'utf8').trim();
    } catch {
      throw new UsageError('--code -: cannot read standard input');
    }
  }
  parseEnrolUri(code); // checked before the store is opened or created; BAD_ENROL_URI exits 2 (exitCodeFor)
  return { dataDir, code, name, reenrol: values.reenrol };
}

export async function run(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (args === null) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const store = openStore(path.join(args.dataDir, STORE_FILE));
  try {
    const e = await enrol({
      store,
      uri: args.code,
      reenrol: args.reenrol,
      ...(args.name !== undefined ? { name: args.name } : {}),
    });
    // Enrolment ends with trust data on the device: one sync now, so the gate does not start red NO_TRUST_DATA
    // (and the server lists the device, which has now used its token).
    const client = new SyncClient({ store });
    const first = await client.syncNow();
    await client.stop();
    const line = `enrolled as device ${e.deviceId} with ${e.serverUrl}; root key ${e.fingerprint} pinned`;
    if (!first.ok || client.status().bundleVersion === null) {
      process.stdout.write(`${line}\n`);
      process.stderr.write(
        `gatecode device enrol: no trust data yet (${first.error?.code ?? client.status().lastError ?? 'none'}): ` +
          'the gate decides red NO_TRUST_DATA until its first sync succeeds; check the server and run the device\n',
      );
      return 1;
    }
    const st = client.status();
    process.stdout.write(`${line}; trust data: bundle ${st.bundleVersion}, revocations ${st.revocationSeq}\n`);
    return 0;
  } catch (err) {
    if (err instanceof SyncError) {
      process.stderr.write(`gatecode device enrol: ${err.code}: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    store.close();
  }
}
