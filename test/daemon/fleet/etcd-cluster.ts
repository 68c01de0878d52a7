/**
 * A real etcd cluster on 127.0.0.1 for fleet tests and the bench: N members (`/usr/bin/etcd`
 * from Debian's etcd-server) in temp dirs on free ports, with short heartbeat and election
 * timeouts so a killed leader is replaced in about a second. Members can be killed
 * (SIGKILL) and started again on their data dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';

export const ETCD_BIN = process.env.NICVISOR_ETCD ?? '/usr/bin/etcd';

/** Why fleet tests cannot run here (null: they can). */
export function etcdMissing(): string | null {
  return existsSync(ETCD_BIN)
    ? null
    : `${ETCD_BIN} not found: install Debian's etcd-server (or set NICVISOR_ETCD)`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Member {
  name: string;
  client: number;
  peer: number;
  dir: string;
  proc: ChildProcess | null;
  /** The end of what the member wrote to stderr (errors only), and how it exited. */
  log: string;
  exited: string | null;
}

/** Client TLS for the members (peers stay plain): files in PEM. */
export interface ClusterTls {
  ca: string;
  cert: string;
  key: string;
}

export class EtcdCluster {
  readonly members: Member[] = [];
  private root = '';
  private readonly tls: ClusterTls | null;
  /** The client certificate the test harness itself uses (health checks, client()). */
  private readonly own: { cert: string; key: string } | null;

  /** With `tls`, clients must show a certificate signed by `tls.ca` (`--client-cert-auth`). */
  constructor(opts: { tls?: ClusterTls; client?: { cert: string; key: string } } = {}) {
    this.tls = opts.tls ?? null;
    this.own = opts.client ?? null;
  }

  private get scheme(): string {
    return this.tls ? 'https' : 'http';
  }

  private clientOptions(hosts: string | string[], extra: object = {}) {
    return {
      hosts,
      ...extra,
      ...(this.tls && this.own
        ? {
            credentials: {
              rootCertificate: readFileSync(this.tls.ca),
              certChain: readFileSync(this.own.cert),
              privateKey: readFileSync(this.own.key),
            },
          }
        : {}),
    };
  }

  get endpoints(): string[] {
    return this.members.map((m) => `127.0.0.1:${m.client}`);
  }

  url(prefix = '/nicvisor'): string {
    return `${this.tls ? 'etcds' : 'etcd'}://${this.endpoints.join(',')}${prefix}`;
  }

  /**
   * Start `size` members and wait for a leader. Free ports are picked before etcd binds
   * them, so another process may take one in between: a cluster that does not come up is
   * started once more on new ports, and the error names what each member said.
   */
  async start(size = 3): Promise<void> {
    let why = '';
    for (let attempt = 0; attempt < 2; attempt++) {
      this.root = await mkdtemp(join(tmpdir(), 'nicvisor-etcd-'));
      this.members.length = 0;
      for (let i = 0; i < size; i++)
        this.members.push({
          name: `m${i}`,
          client: await freePort(),
          peer: await freePort(),
          dir: join(this.root, `m${i}`),
          proc: null,
          log: '',
          exited: null,
        });
      for (const m of this.members) this.spawn(m);
      try {
        await this.healthy();
        return;
      } catch (err) {
        why = `${(err as Error).message} (attempt ${attempt + 1}): ${this.members
          .map(
            (m) =>
              `${m.name} on :${m.client}/:${m.peer} ${m.proc ? 'running' : `exited ${m.exited}`}${m.log ? `, stderr: ${m.log.trim().slice(-600)}` : ''}`,
          )
          .join('; ')}`;
        await this.stop();
      }
    }
    throw new Error(why);
  }

  private spawn(m: Member): void {
    const initial = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.peer}`).join(',');
    const args = [
      `--name=${m.name}`,
      `--data-dir=${m.dir}`,
      `--listen-client-urls=${this.scheme}://127.0.0.1:${m.client}`,
      `--advertise-client-urls=${this.scheme}://127.0.0.1:${m.client}`,
      `--listen-peer-urls=http://127.0.0.1:${m.peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${m.peer}`,
      `--initial-cluster=${initial}`,
      '--initial-cluster-state=new',
      '--initial-cluster-token=nicvisor-test',
      '--heartbeat-interval=50',
      '--election-timeout=500',
      '--log-level=error',
      '--logger=zap',
      ...(this.tls
        ? [
            `--cert-file=${this.tls.cert}`,
            `--key-file=${this.tls.key}`,
            '--client-cert-auth',
            `--trusted-ca-file=${this.tls.ca}`,
          ]
        : []),
    ];
    const proc = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    m.proc = proc;
    m.exited = null;
    proc.stderr?.on('data', (b: Buffer) => {
      m.log = (m.log + b.toString()).slice(-4096);
    });
    // A test process that dies (timeout, ^C) takes its members along.
    const reap = () => proc.kill('SIGKILL');
    process.once('exit', reap);
    proc.on('exit', (code, signal) => {
      process.off('exit', reap);
      m.exited = signal ?? String(code);
      if (m.proc === proc) m.proc = null;
    });
  }

  /** Until every running member answers and a leader exists. */
  async healthy(ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if ((await this.leader().catch(() => null)) !== null) return;
      // More than half have exited: no leader can come.
      if (this.members.filter((m) => m.proc).length * 2 <= this.members.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('etcd cluster did not become healthy');
  }

  /** Index of the leader member (null: none known). */
  async leader(): Promise<number | null> {
    for (const [i, m] of this.members.entries()) {
      if (!m.proc) continue;
      const c = new Etcd3(
        this.clientOptions(`${this.scheme}://127.0.0.1:${m.client}`, {
          dialTimeout: 500,
          defaultCallOptions: () => ({ deadline: Date.now() + 500 }),
        }),
      );
      try {
        const s = await c.maintenance.status();
        const idx = s.leader === s.header.member_id ? i : null;
        if (idx !== null) return idx;
      } catch {
        // Not answering (starting, or no quorum): ask the next.
      } finally {
        c.close();
      }
    }
    return null;
  }

  kill(i: number): void {
    this.members[i].proc?.kill('SIGKILL');
  }

  /** Start a killed member again on its data dir. */
  restart(i: number): void {
    if (!this.members[i].proc) this.spawn(this.members[i]);
  }

  /** A client on every endpoint (close it). */
  client(): Etcd3 {
    return new Etcd3(
      this.clientOptions(this.members.map((m) => `${this.scheme}://127.0.0.1:${m.client}`)),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.members.map(
        (m) =>
          new Promise<void>((r) => {
            if (!m.proc) return r();
            m.proc.once('exit', () => r());
            m.proc.kill('SIGKILL');
          }),
      ),
    );
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }
}
