// The device config file: one zod schema (device/config/schema.ts) for the check, the defaults and the type;
// loading from JSON or YAML with every problem reported at once; and the mapping onto the hardware factory.
// Keys, defaults and an example: docs/device-config.md.
export { CONFIG_VERSION, deviceConfigSchema } from './config/schema.js';
export type { DeviceConfig, DeviceConfigInput } from './config/schema.js';
export { ConfigError, loadConfig, migrateConfig, parseConfig } from './config/load.js';
export type { ConfigIssue } from './config/load.js';
export { bootConfigLines, toHardwareConfig } from './config/hardware.js';
