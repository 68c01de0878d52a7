/**
 * Metrics and dashboard figures on the sim NIC with 8 PFs × 256 VFs (2048 VF policies):
 * - GET /metrics over the Unix socket: latency (p50/p99/max), size and series per scrape;
 * - the daemon's event-loop delay while scrapes run back to back, next to its idle delay
 *   (the daemon and the scraper share this process, so the delay is the scrape's stall);
 * - what the scheduled stats's scheduled read of every VF costs (goal ≤ 50 ms: read once a
 *   second, that is 5 % of one core), and one VF's plot history.
 */

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ApiServer } from '../src/api/server.js';
import { silentLogger } from '../src/daemon/logger.js';
import { Daemon } from '../src/daemon/service.js';
import { DemoTraffic } from '../src/drivers/sim/demo.js';
import type { SimDriver } from '../src/drivers/sim/driver.js';
import { createSimDriver } from '../src/drivers/sim/index.js';
import { MainConfig } from '../src/model/index.js';
import { atMost, type Bench } from './_report.js';
import { percentile } from './_stats.js';

const PORTS = 8;
const VFS = 256;
const SCRAPES = 30;

function mac(p: number, v: number): string {
  return `02:00:00:00:${p.toString(16).padStart(2, '0')}:${v.toString(16).padStart(2, '0')}`;
}

async function setup(dir: string) {
  const stateDir = join(dir, 'state');
  const configFile = join(dir, 'nicvisor.json');
  const config = {
    driver: 'sim',
    sim: { nics: [{ name: 'nic0', ports: PORTS, totalVfs: VFS }], demoTraffic: false },
    daemon: { stateDir, logLevel: 'warn', driftIntervalMs: 60_000, statsIntervalMs: 1000 },
    pfs: Array.from({ length: PORTS }, (_, p) => ({ pf: `sim:nic0/${p}`, numVfs: VFS })),
  };
  await writeFile(configFile, JSON.stringify(config));
  await mkdir(join(stateDir, 'vfs'), { recursive: true });
  for (let p = 0; p < PORTS; p++) {
    for (let v = 0; v < VFS; v++) {
      const policy = {
        name: `vf-${p}-${v}`,
        pf: `sim:nic0/${p}`,
        vf: v,
        vlans: [100 + (v % 32)],
        macs: [mac(p, v)],
      };
      await writeFile(join(stateDir, 'vfs', `${policy.name}.json`), JSON.stringify(policy));
    }
  }
  const sim = (await createSimDriver({
    config: MainConfig.parse(config),
    stateDir: join(stateDir, 'driver'),
  })) as SimDriver;
  return { configFile, sim };
}

function get(socketPath: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end();
  });
}

async function loopDelay(
  ms: number,
  during: () => Promise<void>,
): Promise<{ p99: number; max: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  while (performance.now() - t0 < ms) await during();
  h.disable();
  return { p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
}

export async function run(b: Bench): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-bench-web-'));
  const { configFile, sim } = await setup(dir);
  await sim.start();
  const daemon = new Daemon({ configFile, driver: sim, log: silentLogger() });
  const socket = join(dir, 'api.sock');
  const server = new ApiServer(daemon, { socket, bodyLimit: 1 << 20 });
  try {
    const t0 = performance.now();
    await daemon.start();
    await server.start();
    b.figure(`${PORTS} PFs × ${VFS} VFs: daemon in sync and serving`, performance.now() - t0, 'ms');
    const traffic = new DemoTraffic(sim.nic);
    for (let i = 0; i < 4; i++) traffic.step();

    const tObs = performance.now();
    await sim.observe({ stats: true });
    const read = performance.now() - tObs;
    b.figure(`stats read of ${PORTS * VFS} VFs (scheduled)`, read, 'ms', atMost(50));

    const inproc: number[] = [];
    for (let i = 0; i < SCRAPES; i++) {
      const s = performance.now();
      await daemon.metrics();
      inproc.push(performance.now() - s);
    }
    inproc.sort((a, b) => a - b);
    b.figure('metrics text built in-process (no HTTP), p50', percentile(inproc, 50), 'ms');
    b.figure('metrics text built in-process (no HTTP), p99', percentile(inproc, 99), 'ms');
    const body = await get(socket, '/metrics');
    const series = body.split('\n').filter((l) => l && !l.startsWith('#')).length;
    const lat: number[] = [];
    for (let i = 0; i < SCRAPES; i++) {
      const s = performance.now();
      await get(socket, '/metrics');
      lat.push(performance.now() - s);
    }
    lat.sort((a, b) => a - b);
    b.figure('GET /metrics, size', body.length / 1024, 'KiB');
    b.figure('GET /metrics, series', series, 'series');
    b.figure('GET /metrics, p50', percentile(lat, 50), 'ms');
    b.figure('GET /metrics, p99', percentile(lat, 99), 'ms');
    b.figure('GET /metrics, max', lat[lat.length - 1], 'ms');

    const idle = await loopDelay(1000, () => new Promise((r) => setTimeout(r, 20)));
    const busy = await loopDelay(2000, async () => {
      await get(socket, '/metrics');
    });
    const paced = await loopDelay(2000, async () => {
      await get(socket, '/metrics');
      await new Promise((r) => setTimeout(r, 200));
    });
    const delay = (what: string, d: { p99: number; max: number }) => {
      const p99 = b.figure(`event-loop delay, ${what}, p99`, d.p99, 'ms');
      b.figure(`event-loop delay, ${what}, max`, d.max, 'ms');
      return p99;
    };
    const idleP99 = delay('idle', idle);
    delay('scrapes back to back', busy);
    const pacedP99 = delay('a scrape every 200 ms', paced);
    b.ratio('event-loop delay p99, a scrape every 200 ms / idle', pacedP99, idleP99);

    const hl: number[] = [];
    for (let i = 0; i < 50; i++) {
      const s = performance.now();
      await get(socket, '/v1/vfs/vf-3-100/history');
      hl.push(performance.now() - s);
    }
    hl.sort((a, b) => a - b);
    b.figure('GET /v1/vfs/NAME/history, p50', percentile(hl, 50), 'ms');
    b.figure('GET /v1/vfs/NAME/history, p99', percentile(hl, 99), 'ms');
    b.figure('RSS, daemon + bench in one process', process.memoryUsage.rss() / 2 ** 20, 'MiB');
  } finally {
    await server.stop();
    await daemon.stop();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
