// A real MQTT broker for tests: aedes in process on a loopback port, plain TCP or TLS, optionally with a user name
// and password; it records every PUBLISH a client sends (bytes as received) and can drop every connection. A
// subscriber is a real mqtt.js client that records what it receives.
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Aedes } from 'aedes';
import { connectAsync } from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';

export interface BrokerOptions {
  readonly tls?: { readonly key: string; readonly cert: string };
  readonly auth?: { readonly username: string; readonly password: string };
}

export interface ReceivedPublish {
  readonly clientId: string;
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
}

export class TestBroker {
  /** Every PUBLISH clients sent, in order (not the broker's own, nor wills). */
  readonly received: ReceivedPublish[] = [];
  /** User names refused by the authenticate handler. */
  readonly refused: string[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly aedes: Aedes,
    private readonly server: net.Server,
    readonly url: string,
  ) {}

  static async start(opts: BrokerOptions = {}): Promise<TestBroker> {
    const aedes = await Aedes.createBroker();
    if (opts.auth) {
      const { username, password } = opts.auth;
      aedes.authenticate = (_client, user, pass, done) => {
        const ok = user === username && pass?.toString('utf8') === password;
        if (!ok) {
          broker.refused.push(user ?? '');
          const err = Object.assign(new Error('bad user name or password'), { returnCode: 4 as const });
          done(err, false);
          return;
        }
        done(null, true);
      };
    }
    const onSocket = (socket: net.Socket): void => {
      broker.sockets.add(socket);
      socket.on('close', () => broker.sockets.delete(socket));
      aedes.handle(socket);
    };
    const server = opts.tls
      ? tls.createServer({ key: opts.tls.key, cert: opts.tls.cert }, onSocket)
      : net.createServer(onSocket);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const broker: TestBroker = new TestBroker(aedes, server, `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`);
    aedes.on('publish', (packet, client) => {
      if (client === null) return;
      broker.received.push({
        clientId: client.id,
        topic: packet.topic,
        payload: Buffer.from(packet.payload),
        retain: packet.retain,
      });
    });
    return broker;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /**
   * From now on, hold every PUBLISH from a client unanswered (no PUBACK, not delivered), as an overloaded broker
   * would. Returns the release function, which lets the held ones and all later ones through.
   */
  holdPublishes(): () => void {
    const held: (() => void)[] = [];
    let holding = true;
    this.aedes.authorizePublish = (client, _packet, cb) => {
      if (client !== null && holding) held.push(() => cb(null));
      else cb(null);
    };
    return () => {
      holding = false;
      for (const release of held.splice(0)) release();
    };
  }

  /** Cut every client connection at the socket, as a broker restart or a network fault would. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }
}

export interface Received {
  readonly topic: string;
  readonly payload: string;
  readonly retain: boolean;
  /** performance.now() at arrival. */
  readonly at: number;
}

/** A real subscriber: records every message on `topics`, with its arrival time. */
export class Subscriber {
  readonly messages: Received[] = [];
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain, at: performance.now() });
    });
  }

  static async connect(url: string, topics: string[], opts: IClientOptions = {}): Promise<Subscriber> {
    const client = await connectAsync(url, { reconnectPeriod: 0, ...opts });
    const sub = new Subscriber(client);
    await client.subscribeAsync(topics, { qos: 1 });
    return sub;
  }

  /** The newest payload on `topic`, or undefined. */
  last(topic: string): string | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const m = this.messages[i] as Received;
      if (m.topic === topic) return m.payload;
    }
    return undefined;
  }

  /** Wait until a message after index `from` matches; returns it. */
  async waitFor(pred: (m: Received) => boolean, from = 0, timeoutMs = 5000): Promise<Received> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.messages.slice(from).find(pred);
      if (hit) return hit;
      if (performance.now() > deadline) {
        const seen = this.messages.slice(from).map((m) => `${m.topic}=${m.payload.slice(0, 60)}`);
        throw new Error(`no matching message within ${timeoutMs} ms; seen: ${seen.join(', ')}`);
      }
      await sleep(2);
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
