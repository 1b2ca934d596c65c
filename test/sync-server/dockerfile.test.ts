// No Docker engine runs here, so the image is checked from what it is made of: every source file the server
// command loads is copied into the runtime stage, every package it imports is a runtime dependency, and the
// port, volume, user and health check agree with the server's defaults.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../sync-server/config.js';

const dockerfile = fs.readFileSync('Dockerfile', 'utf8');
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
};

/** Source files reachable from `entry` through static and dynamic imports of our own files. */
function closure(entries: string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [...entries];
  while (todo.length) {
    const file = todo.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
    )) {
      const spec = (m[1] ?? m[2]) as string;
      if (/^import\s+type\s/.test(m[0].trim())) continue;
      if (spec.startsWith('.')) {
        const target = path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '.ts');
        // cli/main.ts loads every command lazily; the image only has to carry the server's and admin's.
        if (file === 'cli/main.ts' && !/^cli\/(server|admin|usage)\.ts$/.test(target)) continue;
        todo.push(fs.existsSync(target) ? target : target.replace(/\.ts$/, '.js'));
      } else if (!spec.startsWith('node:')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string));
      }
    }
  }
  return { files, packages };
}

describe('Dockerfile', () => {
  it('copies every source file the server and admin commands load', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(\S+) \.\/(\S*)$/gm)].map((m) => m[1] as string);
    const { files } = closure(['bin/gatecode.js', 'cli/server.ts', 'cli/admin.ts']);
    expect(files.size).toBeGreaterThan(20);
    const missing = [...files].filter((f) => !copied.some((c) => f === c || f.startsWith(c + '/')));
    expect(missing).toEqual([]);
  });

  it('needs only runtime dependencies', () => {
    const { packages } = closure(['bin/gatecode.js', 'cli/server.ts', 'cli/admin.ts']);
    const runtime = new Set(Object.keys(pkg.dependencies));
    expect([...packages].filter((p) => !runtime.has(p))).toEqual([]);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it('runs unprivileged with a /data volume, listens on all interfaces at the default port, checks /healthz', () => {
    const port = parseConfig({}).port;
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(dockerfile).toContain(`EXPOSE ${port}`);
    expect(dockerfile).toContain(`"--data", "/data", "--host", "0.0.0.0", "--port", "${port}"`);
    expect(dockerfile).toMatch(new RegExp(`HEALTHCHECK[^\\n]*\\n[^\\n]*127\\.0\\.0\\.1:${port}/healthz`));
    expect((dockerfile.match(/^FROM /gm) ?? []).length).toBe(2);
  });
});
