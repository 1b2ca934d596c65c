// hardware/INSTALL.md as a script: every fenced `sh` command of the walkthrough is either run here (the gatecode
// commands, against a temp root and a real sync server on loopback for the enrolment) or named below as an
// operating-system command a test machine cannot run. A command added to the guide must be one or the other.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRealServer } from '../support/real-server.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(REPO, 'bin/gatecode.js');
const guide = fs.readFileSync(path.join(REPO, 'hardware/INSTALL.md'), 'utf8');

/** Operating-system steps: package manager, copying the release, services, the Node check. */
const SYSTEM = [
  /^sudo apt /,
  /^curl /,
  /^sudo mkdir /,
  /^sudo tar /,
  /^cd \/opt\/gatecode && sudo npm install /,
  /^sudo ln /,
  /^sudo reboot$/,
  /^sudo systemctl /,
  /^journalctl /,
  /^node --version$/,
];

function fenced(lang: string): string[] {
  return [...guide.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);
}

const commands = fenced('sh')
  .flatMap((b) => b.split('\n'))
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

let env: Awaited<ReturnType<typeof startRealServer>>;
let home: string;
let root: string;
beforeAll(async () => {
  env = await startRealServer();
  home = path.join(env.dir, 'home');
  root = path.join(env.dir, 'root');
  fs.mkdirSync(home);
  fs.mkdirSync(path.join(root, 'boot/firmware'), { recursive: true });
  const yaml = fenced('yaml');
  expect(yaml).toHaveLength(1);
  fs.writeFileSync(path.join(home, 'device.yaml'), yaml[0] as string);
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

/** Run the command as a process; asynchronously, since the sync server answers from this process. */
function gatecode(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** argv for a guide command: sudo dropped, paths of the Pi moved under the temp root, --root added. */
async function argvOf(line: string): Promise<string[]> {
  const words = (line.match(/'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^'(.*)'$/, '$1'));
  while (words[0] === 'sudo' || words[0] === '-u' || (words[0] === 'gatecode' && words[1] === 'gatecode')) {
    words.splice(0, words[0] === '-u' ? 2 : 1);
  }
  expect(words[0]).toBe('gatecode');
  const args = words.slice(1).map((w) => (w.startsWith('/etc/gatecode/') ? path.join(root, w) : w));
  const code = args.indexOf('--code');
  if (code >= 0) args[code + 1] = await env.admin.enrolmentUri(); // the guide's placeholder → a real code
  if (args[0] === 'setup' || args[0] === 'check') args.push('--root', root);
  return args;
}

describe('INSTALL.md walkthrough', { timeout: 120_000 }, () => {
  it('has only commands this test runs or names as operating-system steps', () => {
    const unknown = commands.filter(
      (c) =>
        !/^(sudo )?(-u gatecode )?gatecode /.test(c.replace('sudo -u gatecode ', 'sudo ')) &&
        !SYSTEM.some((r) => r.test(c)),
    );
    expect(unknown).toEqual([]);
    expect(
      commands.filter((c) => c.includes('gatecode ') && /gatecode (setup|check)/.test(c)).length,
    ).toBeGreaterThanOrEqual(3);
  });

  it('runs the gatecode commands in order against a temp root: help, setup (dry run, then with enrolment), check', async () => {
    const run = commands.filter((c) => !SYSTEM.some((r) => r.test(c)));
    const results: { line: string; status: number | null; stdout: string; stderr: string }[] = [];
    for (const line of run) {
      results.push({ line, ...(await gatecode(await argvOf(line))) });
    }
    const byCmd = (re: RegExp) => results.filter((r) => re.test(r.line));
    expect(byCmd(/gatecode --help/)[0]?.status).toBe(0);
    const [dry, real] = byCmd(/gatecode setup/);
    expect(dry?.status).toBe(0);
    expect(dry?.stdout).toMatch(/would change +systemd unit/);
    expect(real?.stderr).toBe('');
    expect(real?.status).toBe(0);
    expect(real?.stdout).toMatch(/^enrolled as device [0-9a-f]+/m);
    // the guide's config is active-low: the relay is released high everywhere
    const unit = fs.readFileSync(path.join(root, 'etc/systemd/system/gatecode-device.service'), 'utf8');
    expect(unit).toMatch(/^ExecStopPost=\+\/usr\/bin\/pinctrl set 17 op dh$/m);
    expect(fs.readFileSync(path.join(root, 'boot/firmware/config.txt'), 'utf8')).toMatch(/^gpio=17=op,dh$/m);
    expect(fs.readFileSync(path.join(root, 'etc/gatecode/status-token'), 'utf8')).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    // check: the relay lines and the enrolled server are green; the Pi's hardware is missing here (red)
    const [check] = byCmd(/gatecode check/);
    expect(check?.status).toBe(3);
    expect(check?.stdout).toMatch(/^green +boot lines +relay BCM 17 active-low → dh$/m);
    expect(check?.stdout).toMatch(/^green +server +http:\/\/127\.0\.0\.1:\d+ answers$/m);
    expect(check?.stdout).toMatch(/^red +spi /m);
  });
});
