// A small server-sent events reader for tests: connects with node:http and queues parsed events.
import { get, type ClientRequest } from 'node:http';

export interface SseEvent {
  event: string;
  data: string;
}

export interface SseClient {
  /** Resolves with the next event whose name matches (earlier non-matching events are skipped). */
  next(event: string, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export function openSse(url: string): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const queue: SseEvent[] = [];
    let waiter: (() => void) | null = null;
    let buffer = '';
    const req: ClientRequest = get(url, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`SSE status ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) queue.push({ event, data: data.join('\n') });
        }
        waiter?.();
      });
      resolve({
        async next(name, timeoutMs = 3000) {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const i = queue.findIndex((e) => e.event === name);
            if (i >= 0) {
              const [e] = queue.splice(0, i + 1).slice(-1);
              return e as SseEvent;
            }
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`no "${name}" event within ${timeoutMs} ms`);
            await new Promise<void>((r) => {
              const t = setTimeout(r, left);
              waiter = () => {
                clearTimeout(t);
                waiter = null;
                r();
              };
            });
          }
        },
        close() {
          req.destroy();
        },
      });
    });
    req.on('error', reject);
  });
}
