import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDecoder } from '../../../device/decode/index.js';
import { loadGreyImage } from '../../../hardware/camera/image-file.js';
import { corpusEntries } from './corpus-sample.js';

describe('zxing-wasm loading', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('loads the .wasm shipped in the package and never touches the network', async () => {
    const fetch = vi.fn(() => {
      throw new Error('network used');
    });
    vi.stubGlobal('fetch', fetch);
    const d = await createDecoder({ engine: 'zxing', worker: false, strategies: ['plain'] });
    try {
      const [e] = corpusEntries('gate-corpus', ['images/ph-f4a5d25364.png']);
      expect(await d.decode(await loadGreyImage(e!.path))).toMatchObject({ text: e!.expected });
    } finally {
      await d.close();
    }
    expect(fetch).not.toHaveBeenCalled();
  });
});
