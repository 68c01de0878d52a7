// The vfio crash window: a daemon killed between unbinding a VF's netdev driver and binding
// vfio-pci (or during a release's rebind) leaves the VF repaired at the restart, from what
// the claims ledger says its binding should be. The sim NIC gets a PCI bus model with the
// kernel's bind semantics (driver_override, unbind, drivers_probe); the crash is the state
// such a kill leaves, written into the model and the ledger before the restart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../src/daemon/logger.js';
import { Daemon } from '../../../src/daemon/service.js';
import type { NicDriver } from '../../../src/drivers/driver.js';
import { createDriver } from '../../../src/drivers/registry.js';
import { MainConfig } from '../../../src/model/index.js';
import { PF0, PF1, poolConfig } from './kit.js';

/** One VF's PCI binding as the kernel keeps it. */
interface Dev {
  driver: string | null;
  override: string | null;
}

/** The kernel's bind steps (bind.ts does the same writes in sysfs). */
class PciBus {
  readonly devs = new Map<string, Dev>();
  /** The ledger as it was on disk when each bind began (checks the write-ahead). */
  readonly ledgerAtBind: string[] = [];
  ledgerFile = '';
  dev(pf: string, vf: number): Dev {
    const k = `${pf}#${vf}`;
    if (!this.devs.has(k)) this.devs.set(k, { driver: 'iavf', override: null });
    return this.devs.get(k)!;
  }
  bind(pf: string, vf: number, driver: string) {
    this.ledgerAtBind.push(readFileSync(this.ledgerFile, 'utf8'));
    const d = this.dev(pf, vf);
    const previous = d.driver;
    if (previous !== driver) {
      d.override = driver; // echo DRIVER > driver_override
      d.driver = null; // echo ADDR > drivers/PREVIOUS/unbind
      d.driver = d.override; // echo ADDR > drivers_probe
      d.override = null; // echo > driver_override
    }
    return { pciAddr: `0000:00:${vf}.0`, previous };
  }
}

function withBus(inner: NicDriver, bus: PciBus): NicDriver {
  return Object.assign(Object.create(inner) as NicDriver, {
    name: inner.name,
    bindVf: async (pf: string, vf: number, driver: string) => bus.bind(pf, vf, driver),
    vfBinding: async (pf: string, vf: number) => ({
      pciAddr: `0000:00:${vf}.0`,
      driver: bus.dev(pf, vf).driver,
    }),
  });
}

describe('vfio-pci binding across a crash', () => {
  let dir: string;
  let configFile: string;
  let ledger: string;
  let driver: NicDriver;
  let daemon: Daemon;
  const bus = new PciBus();
  const make = async () => {
    daemon = new Daemon({ configFile, log: silentLogger(), lockTimeoutMs: 5000, driver });
    await daemon.start();
    return daemon;
  };
  /** What a SIGKILL leaves: no clean stop (the ledger and the bus stay as they are). */
  const crash = async (
    edit: (claims: Record<string, unknown>[]) => void,
    dev?: Partial<Dev>,
    at?: [string, number],
  ) => {
    await daemon.stop();
    const l = JSON.parse(await readFile(ledger, 'utf8'));
    edit(l.claims);
    await writeFile(ledger, JSON.stringify(l));
    if (dev && at) Object.assign(bus.dev(...at), dev);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nicvisor-vfio-'));
    const stateDir = join(dir, 'state');
    await mkdir(join(stateDir, 'vfs'), { recursive: true });
    configFile = join(dir, 'nicvisor.json');
    ledger = join(stateDir, 'claims.json');
    bus.ledgerFile = ledger;
    const config = poolConfig(
      [{ name: 'vms', pfs: [PF0, PF1], physicalNetwork: 'p', deviceType: 'vfio-pci' }],
      stateDir,
    );
    await writeFile(configFile, JSON.stringify(config));
    const main = MainConfig.parse(config);
    driver = withBus(
      await createDriver('sim', { config: main, stateDir: join(stateDir, 'driver') }),
      bus,
    );
    await driver.start();
    await make();
  });
  after(async () => {
    await daemon.stop();
    await driver.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a claim writes the driver it unbinds to the ledger before touching the binding', async () => {
    const r = await daemon.pools.claims.claim(
      'vms',
      { owner: { kind: 'vm', id: 'w' }, numaStrict: false },
      'admin',
    );
    assert.equal(bus.dev(r.claim.pf, r.claim.vf).driver, 'vfio-pci');
    const before = JSON.parse(bus.ledgerAtBind.at(-1)!);
    assert.equal(before.claims.find((c: { id: string }) => c.id === r.claim.id).boundFrom, 'iavf');
    await daemon.pools.claims.release(r.claim.id, { who: 'admin' });
    assert.equal(bus.dev(r.claim.pf, r.claim.vf).driver, 'iavf');
  });

  it('killed between unbind and bind: the restart binds vfio-pci, the release binds the netdev driver back', async () => {
    const r = await daemon.pools.claims.claim(
      'vms',
      { owner: { kind: 'vm', id: 'a' }, numaStrict: false },
      'admin',
    );
    const at: [string, number] = [r.claim.pf, r.claim.vf];
    await crash(() => {}, { driver: null, override: 'vfio-pci' }, at);
    await make();
    assert.equal(bus.dev(...at).driver, 'vfio-pci');
    assert.equal(daemon.pools.claims.get(r.claim.id).boundFrom, 'iavf');
    await daemon.pools.claims.release(r.claim.id, { who: 'admin' });
    assert.equal(bus.dev(...at).driver, 'iavf');
  });

  it('killed before the bind (the ledger holds the claim, the VF its netdev driver): bound at the restart, its driver recorded', async () => {
    const r = await daemon.pools.claims.claim(
      'vms',
      { owner: { kind: 'vm', id: 'b' }, numaStrict: false },
      'admin',
    );
    const at: [string, number] = [r.claim.pf, r.claim.vf];
    await crash(
      (claims) => {
        for (const c of claims) if (c.id === r.claim.id) delete c.boundFrom;
      },
      { driver: 'iavf', override: null },
      at,
    );
    await make();
    assert.equal(bus.dev(...at).driver, 'vfio-pci');
    assert.equal(daemon.pools.claims.get(r.claim.id).boundFrom, 'iavf');
    await daemon.pools.claims.release(r.claim.id, { who: 'admin' });
    assert.equal(bus.dev(...at).driver, 'iavf');
  });

  it('killed during the release’s rebind (unbound from vfio-pci, not probed yet): the restart finishes the release on the netdev driver', async () => {
    const r = await daemon.pools.claims.claim(
      'vms',
      { owner: { kind: 'vm', id: 'c' }, numaStrict: false },
      'admin',
    );
    const at: [string, number] = [r.claim.pf, r.claim.vf];
    await crash(
      (claims) => {
        for (const c of claims) if (c.id === r.claim.id) c.state = 'releasing';
      },
      { driver: null, override: 'iavf' },
      at,
    );
    await make();
    assert.deepEqual(daemon.pools.view('vms').claims, []);
    assert.equal(bus.dev(...at).driver, 'iavf');
  });
});
