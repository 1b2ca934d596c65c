// One server per data directory: `server.lock` holds the owner's pid. Two processes on one data dir would each
// cache the bundle, the device tokens and the publish state, and overwrite each other's published files.
// A lock left by a process that no longer runs is taken over, and so is one that names our own pid but that
// this process does not hold (a container restarts its server as pid 1 every time).
import fs from 'node:fs';
import path from 'node:path';

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

/** Lock files held by this process. */
const held = new Set<string>();

function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the lock of `dataDir`; returns the function that releases it. */
export function lockDataDir(dataDir: string): () => void {
  const file = path.resolve(dataDir, 'server.lock');
  if (held.has(file)) throw new DataDirLockedError(`data directory ${dataDir} is already open in this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      held.add(file);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held.delete(file);
        fs.rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new DataDirLockedError(`data directory ${dataDir} is in use by another gatecode server (pid ${pid})`);
    }
    fs.rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new DataDirLockedError(`data directory ${dataDir}: cannot take server.lock`);
}
