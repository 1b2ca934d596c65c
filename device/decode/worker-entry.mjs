// Worker bootstrap in plain JavaScript: a worker thread does not inherit the TypeScript loader of the thread that
// started it (neither under `node bin/gatecode.js` nor under vitest), so it registers tsx itself and then loads
// the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
