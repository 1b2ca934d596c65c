// `gatecode check`'s look at the MQTT broker: connect once with the gate's own settings (URL, TLS files, user name
// and password file) and hang up. It uses its own client id and no last will, so a running gate is neither kicked
// off the broker nor reported offline by the check.
import type { MqttOptions } from './options.js';
import { clientOptions, MqttSetupError } from './index.js';
import type { MqttPlace } from './index.js';

/** Null when the broker accepted the connection, else why not (one line, no secret in it). */
export async function probeBroker(options: MqttOptions, place: MqttPlace, timeoutMs = 5000): Promise<string | null> {
  let opts;
  try {
    opts = clientOptions(options, place);
  } catch (err) {
    if (err instanceof MqttSetupError) return err.message;
    throw err;
  }
  const { will: _will, clientId, ...rest } = opts;
  const mqtt = await import('mqtt');
  const client = mqtt.connect(options.url, {
    ...rest,
    clientId: `${(clientId ?? 'gatecode').slice(0, 57)}-check`,
    manualConnect: false,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs + 1000, // our own timer says it first
  });
  return new Promise<string | null>((resolve) => {
    let settled = false;
    const done = (result: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      resolve(result);
    };
    const wait = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
    const timer = setTimeout(() => done(`no answer within ${wait}`), timeoutMs);
    client.once('connect', () => done(null));
    client.once('error', (err) => done(err.message));
    client.once('close', () => done('the broker closed the connection'));
  });
}
