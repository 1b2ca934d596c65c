// The service unit: the directives the install guide promises, and (where systemd-analyze exists) a real verify.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findExecutable } from '../../../hardware/camera/which.js';

const unitFile = path.join('hardware', 'systemd', 'gatecode-device.service');
const unit = fs.readFileSync(unitFile, 'utf8');
const directives = (key: string) =>
  unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

describe('gatecode-device.service', () => {
  it('is a notify service with a watchdog that always restarts, as a non-root user', () => {
    expect(directives('Type')).toEqual(['notify']);
    expect(directives('NotifyAccess')).toEqual(['all']);
    expect(Number(directives('WatchdogSec')[0])).toBeGreaterThan(0);
    expect(directives('Restart')).toEqual(['always']);
    expect(directives('User')).toEqual(['gatecode']);
    expect(directives('SupplementaryGroups')[0]?.split(' ').sort()).toEqual(['gpio', 'spi', 'video']);
    expect(directives('StateDirectory')).toEqual(['gatecode']);
  });

  it('forces the relay pin to its safe level after every stop, with the pin from the environment', () => {
    expect(directives('ExecStopPost')).toEqual([
      '+/usr/bin/pinctrl set ${GATECODE_RELAY_PIN} op ${GATECODE_RELAY_SAFE}',
    ]);
    expect(directives('Environment')).toContain('GATECODE_RELAY_SAFE=dl');
    expect(directives('EnvironmentFile')).toEqual(['-/etc/gatecode/hardware.env']);
    // options that would break GPIO, SPI or V8 stay out
    for (const k of ['ProtectKernelTunables', 'PrivateDevices', 'MemoryDenyWriteExecute'])
      expect(directives(k)).toEqual([]);
  });

  it.skipIf(!findExecutable('systemd-analyze'))('passes systemd-analyze verify', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
    try {
      // the Pi-only binaries do not exist here: point them at executables that do
      const text = unit.replaceAll('/usr/bin/pinctrl', '/bin/true').replaceAll('/usr/bin/node', process.execPath);
      const file = path.join(dir, 'gatecode-device.service');
      fs.writeFileSync(file, text);
      const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      expect(r.stderr.trim()).toBe('');
      expect(r.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
