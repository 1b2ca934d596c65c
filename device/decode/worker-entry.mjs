// Worker bootstrap in plain JavaScript. In a release (dist/) the compiled worker.js sits next to this file and is
// loaded directly. From the sources, a worker thread does not inherit the TypeScript loader of the thread that
// started it (neither under `node bin/gatecode.js` nor under vitest), so it registers tsx itself first.
import fs from 'node:fs';

const compiled = new URL('./worker.js', import.meta.url);
if (fs.existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./worker.ts');
}
