#!/usr/bin/env node
// Entry point for the `gatecode` command. The sources are TypeScript; tsx compiles them on load,
// so the same tree runs on a Pi and on a development machine without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
