// Run by pool-nice.test.ts under `nice -n 3`: starts a decoder pool of two workers and prints the nice value of
// every thread of this process (Linux /proc), as JSON on one line.
import fs from 'node:fs';
import os from 'node:os';
import { DecoderPool } from '../../../device/decode/index.js';

const pool = await DecoderPool.start({ engine: 'zxing' }, 2);
const threads = fs.readdirSync('/proc/self/task').map((tid) => {
  const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; nice is field 19.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
});
await pool.close();
console.log(JSON.stringify({ process: os.getPriority(), threads }));
