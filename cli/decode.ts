// `gatecode decode IMAGE... [--engine zxing|jsqr] [--strategies LIST]`: read the QR code in each image with the
// device's decoder and print one JSON line per image, {"file","text","ms"}, where ms is the decode alone.
import { parseOptions, UsageError } from './usage.js';
import { DEFAULT_STRATEGIES, PASS_NAMES, type EngineName, type PassName } from '../device/decode/types.js';

const USAGE = `usage: gatecode decode IMAGE... [--engine zxing|jsqr] [--strategies LIST]

Read the QR code in each image (PNG, JPEG, WebP, …) and print one JSON line per image:
  {"file","text","ms"}
text is null when no code was found; ms is the decode time alone (not loading the file).
Exit status: 0 when every image was read, 1 when some had no readable code, 2 when a file could not be loaded.

  --engine E        decoder engine: zxing (default) or jsqr
  --strategies L    comma-separated passes tried in order until one reads (default ${DEFAULT_STRATEGIES.join(',')});
                    passes: ${PASS_NAMES.join(', ')}`;

function parseEngine(text: string | undefined): EngineName {
  if (text === undefined || text === 'zxing') return 'zxing';
  if (text === 'jsqr') return 'jsqr';
  throw new UsageError(`--engine: expected zxing or jsqr, got "${text}"`);
}

function parseStrategies(text: string | undefined): readonly PassName[] {
  if (text === undefined) return DEFAULT_STRATEGIES;
  const names = text.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(PASS_NAMES as readonly string[]).includes(n))
      throw new UsageError(`--strategies: unknown pass "${n}" (${PASS_NAMES.join(', ')})`);
  }
  return names as PassName[];
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(
    argv,
    { engine: { type: 'string' }, strategies: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    { positionals: true, hint: `\n${USAGE}` },
  );
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length === 0) throw new UsageError(`no image given\n${USAGE}`);
  const engine = parseEngine(values.engine);
  const strategies = parseStrategies(values.strategies);
  if (engine === 'jsqr' && strategies.includes('denoise'))
    throw new UsageError('--strategies: denoise needs --engine zxing');

  const { loadGreyImage, ImageLoadError } = await import('../hardware/camera/image-file.js');
  const { createDecoder } = await import('../device/decode/index.js');
  // On this thread: a one-shot command has no event loop to keep free, and starts faster without a worker.
  const decoder = await createDecoder({ engine, strategies, worker: false, escalateEvery: 1 });
  let unreadable = 0;
  let missed = 0;
  try {
    for (const file of positionals) {
      let frame;
      try {
        frame = await loadGreyImage(file);
      } catch (err) {
        if (!(err instanceof ImageLoadError)) throw err;
        unreadable++;
        process.stderr.write(`gatecode decode: ${err.message}\n`);
        continue;
      }
      const t0 = performance.now();
      const hit = await decoder.decode(frame);
      const ms = Math.round((performance.now() - t0) * 100) / 100;
      if (!hit) missed++;
      process.stdout.write(JSON.stringify({ file, text: hit ? hit.text : null, ms }) + '\n');
    }
  } finally {
    await decoder.close();
  }
  return unreadable > 0 ? 2 : missed > 0 ? 1 : 0;
}
