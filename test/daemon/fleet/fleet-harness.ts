/**
 * Many fleet agents on one machine: each host is a Daemon on its own simulated NIC, state
 * dir and config file, with its agent built by `fleetAgent` — the function `serve --fleet`
 * calls — so the tests run the code path of the real agent, in one process.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetAgent } from '../../../src/daemon/fleet/agent.js';
import { fleetAgent } from '../../../src/daemon/fleet/index.js';
import { silentLogger } from '../../../src/daemon/logger.js';
import { Daemon } from '../../../src/daemon/service.js';
import type { Labels } from '../../../src/model/fleet.js';
import type { MainConfigInput } from '../../../src/model/index.js';

export const PF = 'sim:nic0/0';
export const PF2 = 'sim:nic0/1';

export interface Host {
  name: string;
  labels: Labels;
  dir: string;
  configFile: string;
  daemon: Daemon;
  agent: FleetAgent;
  url: string;
}

export interface HostSpec {
  name: string;
  labels: Labels;
  /** NIC ports (a second port gives the host PF2). */
  ports?: number;
  /** Endpoints to reach etcd through (default: the cluster's). */
  url: string;
}

/** A host's main config: the sim NIC with `ports` ports of 8 VFs. */
export function mainConfig(stateDir: string, ports: number): MainConfigInput {
  return {
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports, totalVfs: 16, linkSpeedMbps: 25000 }] },
    daemon: { stateDir, driftIntervalMs: 500, statsIntervalMs: 600_000 },
    pfs: Array.from({ length: ports }, (_, i) => ({ pf: `sim:nic0/${i}`, numVfs: 8 })),
  };
}

export async function startHost(root: string, spec: HostSpec): Promise<Host> {
  const dir = join(root, spec.name);
  await mkdir(dir, { recursive: true });
  const configFile = join(dir, 'nicvisor.json');
  await writeFile(configFile, JSON.stringify(mainConfig(join(dir, 'state'), spec.ports ?? 1)));
  const h: Host = { ...spec, dir, configFile, daemon: null as never, agent: null as never };
  await bootHost(h);
  return h;
}

/** Start (or start again) a host's daemon and agent on its files. */
export async function bootHost(h: Host): Promise<void> {
  const log = silentLogger();
  h.daemon = new Daemon({ configFile: h.configFile, log });
  await h.daemon.start();
  h.agent = fleetAgent(h.daemon, { url: h.url, host: h.name, labels: h.labels, retryMs: 200 }, log);
  await h.agent.start();
}

export async function stopHost(h: Host): Promise<void> {
  await h.agent.stop();
  await h.daemon.stop();
}

/**
 * A fleet test file's teardown: hosts, the test's own client, the etcd cluster, the files.
 * Every test has reported by then. The etcd3 client has been seen (about 1 run in 10) to keep
 * a reconnect handle alive after close(), which would hold the file's process and so the
 * whole `npm test` forever: it gets 10 s to go, then the process ends (the timer is unref'd,
 * so a clean run exits without it).
 */
export async function stopFleet(o: {
  hosts: Host[];
  fleet?: { close(): Promise<void> };
  cluster?: { stop(): Promise<void> };
  tmp?: { cleanup(): Promise<void> };
}): Promise<void> {
  for (const h of o.hosts) await stopHost(h).catch(() => undefined);
  await o.fleet?.close();
  await o.cluster?.stop();
  await o.tmp?.cleanup();
  setTimeout(() => process.exit(), 10_000).unref();
}

export async function tempRoot(): Promise<{ root: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'nicvisor-fleet-'));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export async function until(fn: () => boolean | Promise<boolean>, ms: number, what: string) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
