// `gatecode setup`: from one device config, everything a Pi needs to run the gate — the config in /etc/gatecode,
// the systemd unit with the derived values, the marked block in config.txt, the service user and its groups,
// the status page token, the RTC. Idempotent: a second run changes nothing. Every path is under `root`, so tests
// (and image builders) run it against a temp tree; with a root other than / no command is run and the accounts
// are written into root/etc/passwd and root/etc/group directly.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { DeviceConfig } from '../config/schema.js';
import { BOOT_BLOCK_BEGIN, BOOT_BLOCK_END, DEFAULT_PATHS, boardFromModel, derive } from './derive.js';
import type { Board, InstallPaths } from './derive.js';

export interface SetupOptions {
  /** The device config as read (checked) and its text, copied as is to paths.configFile. */
  readonly config: DeviceConfig;
  readonly configText: string;
  /** File system prefix; '/' on the Pi. */
  readonly root: string;
  readonly dryRun: boolean;
  readonly paths?: InstallPaths;
  /** Runs a system command (root '/' only); default spawnSync. */
  readonly exec?: (command: string, args: readonly string[]) => { status: number | null; stderr: string };
}

export type StepStatus = 'changed' | 'unchanged' | 'would change' | 'skipped' | 'ran' | 'failed';

export interface SetupStep {
  readonly what: string;
  readonly target: string;
  readonly status: StepStatus;
  readonly detail?: string;
  /** New content of a file step that changes (for --dry-run output). */
  readonly content?: string;
}

/** Status page token file: one line, 43 base64url characters (32 random bytes), readable by root and the service. */
export function newStatusToken(): string {
  return randomBytes(32).toString('base64url') + '\n';
}

/** Replace the gatecode block of a config.txt (or append one); the rest of the file stays byte for byte. */
export function withBootBlock(existing: string, block: readonly string[]): string {
  const lines = existing.split('\n');
  const begin = lines.findIndex((l) => l.startsWith('# BEGIN gatecode'));
  const end = begin < 0 ? -1 : lines.findIndex((l, i) => i > begin && l === BOOT_BLOCK_END);
  const ours = [BOOT_BLOCK_BEGIN, ...block, BOOT_BLOCK_END];
  if (begin >= 0 && end > begin) return [...lines.slice(0, begin), ...ours, ...lines.slice(end + 1)].join('\n');
  const head = existing === '' || existing.endsWith('\n') ? existing : existing + '\n';
  return head + (head === '' ? '' : '\n') + ours.join('\n') + '\n';
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

export function detectBoard(root: string): Board {
  return boardFromModel(readOr(path.join(root, 'proc/device-tree/model'), ''));
}

/** config.txt: /boot/firmware on Bookworm and later, /boot on Bullseye. */
export function bootConfigFile(root: string): string {
  const bullseye = path.join(root, 'boot/config.txt');
  if (!fs.existsSync(path.join(root, 'boot/firmware')) && fs.existsSync(bullseye)) return bullseye;
  return path.join(root, 'boot/firmware/config.txt');
}

/** Add a system user and its groups to passwd/group files (used under a root other than /). */
export function withAccounts(
  passwd: string,
  group: string,
  user: string,
  groups: readonly string[],
): { passwd: string; group: string } {
  const rows = (t: string) => t.split('\n').filter((l) => l !== '');
  const pw = rows(passwd);
  const gr = rows(group).map((l) => l.split(':'));
  const used = (rowsOf: string[][]) => new Set(rowsOf.map((r) => Number(r[2])));
  const free = (taken: Set<number>) => {
    for (let id = 999; id >= 100; id--) if (!taken.has(id)) return id;
    throw new Error('no free system id between 100 and 999');
  };
  const gTaken = used(gr);
  const ensureGroup = (name: string): number => {
    const row = gr.find((r) => r[0] === name);
    if (row) return Number(row[2]);
    const gid = free(gTaken);
    gTaken.add(gid);
    gr.push([name, 'x', String(gid), '']);
    return gid;
  };
  const primary = ensureGroup(user);
  if (!pw.some((l) => l.split(':')[0] === user)) {
    const uid = free(used(pw.map((l) => l.split(':'))));
    pw.push(`${user}:x:${uid}:${primary}:gatecode device:/var/lib/gatecode:/usr/sbin/nologin`);
  }
  for (const g of groups) {
    ensureGroup(g);
    const row = gr.find((r) => r[0] === g) as string[];
    const members = (row[3] ?? '').split(',').filter((m) => m !== '');
    if (!members.includes(user)) row[3] = [...members, user].join(',');
  }
  return { passwd: pw.join('\n') + '\n', group: gr.map((r) => r.join(':')).join('\n') + '\n' };
}

/** The data directory the unit makes writable (StateDirectory=gatecode): the only one the service can write. */
export const DATA_DIR = '/var/lib/gatecode';

/**
 * What goes wrong when the config is copied to /etc/gatecode: `config` as read where it is, `installed` the same
 * text read as the installed copy (relative paths resolved against /etc/gatecode). Empty when the copy is sound.
 */
export function installedPathProblems(config: DeviceConfig, installed: DeviceConfig): string[] {
  const problems: string[] = [];
  const pairs: [string, string | undefined, string | undefined][] = [
    ['dataDir', config.dataDir, installed.dataDir],
    ['statusPage.tokenFile', config.statusPage.tokenFile, installed.statusPage.tokenFile],
    ['trust.bundleFile', config.trust.bundleFile, installed.trust.bundleFile],
    ['trust.revocationsFile', config.trust.revocationsFile, installed.trust.revocationsFile],
  ];
  for (const key of ['passwordFile', 'caFile', 'certFile', 'keyFile'] as const) {
    pairs.push([`mqtt.${key}`, config.mqtt?.[key], installed.mqtt?.[key]]);
  }
  (config.camera.replay.files ?? []).forEach((f, i) =>
    pairs.push([`camera.replay.files[${i}]`, f, installed.camera.replay.files?.[i]]),
  );
  for (const [key, here, there] of pairs) {
    if (here !== there) problems.push(`${key} is relative (${there ?? '?'} once installed, not ${here ?? '?'})`);
  }
  if (installed.dataDir !== DATA_DIR) {
    problems.push(`dataDir ${installed.dataDir} is not writable by the service (only ${DATA_DIR} is)`);
  }
  return problems;
}

export function runSetup(o: SetupOptions): SetupStep[] {
  const paths = o.paths ?? DEFAULT_PATHS;
  const under = (p: string) => path.join(o.root, p);
  const onPi = path.resolve(o.root) === '/';
  const exec =
    o.exec ??
    ((command: string, args: readonly string[]) => {
      const r = spawnSync(command, args, { encoding: 'utf8' });
      return { status: r.status, stderr: r.error ? r.error.message : r.stderr };
    });
  const board = detectBoard(o.root);
  const d = derive(o.config, { board, paths });
  const steps: SetupStep[] = [];

  const write = (what: string, target: string, content: string, mode: number, keepExisting = false): void => {
    const file = under(target);
    const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    if (old !== null && (old === content || keepExisting)) {
      steps.push({ what, target, status: 'unchanged' });
      return;
    }
    if (o.dryRun) {
      steps.push({ what, target, status: 'would change', content });
      return;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.gatecode-tmp`;
    fs.writeFileSync(tmp, content, { mode });
    fs.renameSync(tmp, file);
    steps.push({ what, target, status: 'changed' });
  };
  const command = (what: string, args: string[]): boolean => {
    const target = args.join(' ');
    if (!onPi || o.dryRun) {
      steps.push({ what, target, status: 'skipped', detail: onPi ? '--dry-run' : 'not run under --root' });
      return true;
    }
    const r = exec(args[0] as string, args.slice(1));
    const ok = r.status === 0;
    steps.push({ what, target, status: ok ? 'ran' : 'failed', ...(ok ? {} : { detail: r.stderr.trim() }) });
    return ok;
  };

  // 1. The service user and its groups.
  const user = paths.user;
  if (onPi) {
    for (const g of d.groups) {
      if (exec('getent', ['group', g]).status !== 0) command(`group ${g}`, ['groupadd', '--system', g]);
    }
    if (exec('getent', ['passwd', user]).status === 0) {
      command(`user ${user} in ${d.groups.join(', ')}`, ['usermod', '--append', '--groups', d.groups.join(','), user]);
    } else {
      command(`user ${user}`, [
        'useradd',
        '--system',
        '--user-group',
        '--home-dir',
        '/var/lib/gatecode',
        '--shell',
        '/usr/sbin/nologin',
        '--groups',
        d.groups.join(','),
        user,
      ]);
    }
  } else {
    const acc = withAccounts(readOr(under('etc/passwd'), ''), readOr(under('etc/group'), ''), user, d.groups);
    write(`user ${user} and groups ${d.groups.join(', ')}`, '/etc/passwd', acc.passwd, 0o644);
    write(`groups of ${user}`, '/etc/group', acc.group, 0o644);
  }

  // 2. The config, the token, the unit, the boot lines.
  write('device config', paths.configFile, o.configText, 0o640);
  const tokenFile = o.config.statusPage.tokenFile;
  if (tokenFile !== undefined) write('status page token', tokenFile, newStatusToken(), 0o640, true);
  // Readable by root and the service's group only (mode 0640).
  for (const f of [paths.configFile, ...(tokenFile !== undefined ? [tokenFile] : [])]) {
    command(`group of ${f}`, ['chgrp', user, f]);
  }
  write('systemd unit', '/etc/systemd/system/gatecode-device.service', d.unit, 0o644);
  const bootFile = path.relative(o.root, bootConfigFile(o.root));
  write(
    `config.txt block (board ${board})`,
    '/' + bootFile,
    withBootBlock(readOr(under(bootFile), ''), d.bootBlock),
    // A plain text file, not a program (on the Pi's FAT boot partition the mode is not kept anyway).
    0o644,
  );

  // 3. The clock: with an RTC, fake-hwclock would set the clock back to its last save at boot.
  if (o.config.hardware.rtc !== 'none' && fs.existsSync(under('lib/systemd/system/fake-hwclock.service'))) {
    command('fake-hwclock off (the RTC keeps the time)', ['systemctl', 'disable', 'fake-hwclock']);
  }
  command('systemd reload', ['systemctl', 'daemon-reload']);
  command('service enabled', ['systemctl', 'enable', 'gatecode-device']);
  return steps;
}
