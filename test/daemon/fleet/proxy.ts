/**
 * A TCP proxy in front of one etcd member that a test can cut: cut() drops every
 * connection and refuses new ones (as a partition would), restore() lets them through again.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class CutProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private cutOff = false;
  port = 0;

  constructor(private readonly target: number) {}

  start(): Promise<void> {
    this.server = createServer((client) => {
      if (this.cutOff) return void client.destroy();
      const up = connect(this.target, '127.0.0.1');
      for (const s of [client, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(up).pipe(client);
      client.on('close', () => up.destroy());
      up.on('close', () => client.destroy());
    });
    return new Promise((r) =>
      this.server!.listen(0, '127.0.0.1', () => {
        this.port = (this.server!.address() as { port: number }).port;
        r();
      }),
    );
  }

  cut(): void {
    this.cutOff = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.cutOff = false;
  }

  stop(): Promise<void> {
    this.cut();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
