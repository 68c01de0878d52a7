/**
 * An in-process daemon on the real sim NIC with the demo's PFs and VF policies, listening
 * on a temp Unix socket and on 127.0.0.1 (random port) with a random admin token — what the
 * dashboard and metrics tests talk to. Its driver calls can be held back (HeldDriver) to
 * put reads and writes in the order a test needs.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../../src/api/server.js';
import { demoMainConfig, demoPolicies } from '../../src/daemon/demo.js';
import { silentLogger } from '../../src/daemon/logger.js';
import { Daemon } from '../../src/daemon/service.js';
import type { SimDriver } from '../../src/drivers/sim/driver.js';
import { createSimDriver } from '../../src/drivers/sim/index.js';
import { MainConfig, type MainConfigInput, type VfPolicyInput } from '../../src/model/index.js';
import { HeldDriver } from '../fakes/held-driver.js';

export interface WebDaemon {
  dir: string;
  stateDir: string;
  daemon: Daemon;
  sim: SimDriver;
  /** The daemon's driver: the sim, with calls a test can hold back (open unless held). */
  held: HeldDriver;
  /** http://127.0.0.1:PORT */
  base: string;
  token: string;
  /** fetch on the TCP listener with the admin token. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startWebDaemon(opts: {
  demoTraffic: boolean;
  statsIntervalMs: number;
  /** Other NICs and PFs than the demo's (with `policies`). */
  sim?: Pick<NonNullable<MainConfigInput['sim']>, 'nics'>;
  pfs?: MainConfigInput['pfs'];
  policies?: VfPolicyInput[];
}): Promise<WebDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-web-'));
  const stateDir = join(dir, 'state');
  const configFile = join(dir, 'nicvisor.json');
  const demo = demoMainConfig();
  // Other PFs than the demo's: the demo's pools, LAGs … name its PFs, so they go too.
  const shape = opts.pfs ? { driver: demo.driver, pfs: opts.pfs } : demo;
  const config = {
    ...shape,
    sim: { ...demo.sim, ...opts.sim, demoTraffic: opts.demoTraffic, demoCableFlaps: false },
    daemon: { stateDir, statsIntervalMs: opts.statsIntervalMs, driftIntervalMs: 60_000 },
  };
  await writeFile(configFile, JSON.stringify(config));
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  for (const p of opts.policies ?? demoPolicies())
    await writeFile(join(stateDir, 'vfs', `${p.name}.json`), JSON.stringify(p));
  const sim = (await createSimDriver({
    config: MainConfig.parse(config),
    stateDir: join(stateDir, 'driver'),
  })) as SimDriver;
  await sim.start();
  const held = new HeldDriver(sim);
  const daemon = new Daemon({ configFile, driver: held, log: silentLogger() });
  await daemon.start();
  const token = randomBytes(24).toString('base64url');
  const server = new ApiServer(daemon, {
    socket: join(dir, 'api.sock'),
    tcp: { host: '127.0.0.1', port: 0, token },
    bodyLimit: 1 << 20,
  });
  await server.start();
  const base = server.addresses[1];
  return {
    dir,
    stateDir,
    daemon,
    sim,
    held,
    base,
    token,
    async api<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await fetch(base + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
    },
    async stop() {
      await server.stop();
      await daemon.stop();
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
