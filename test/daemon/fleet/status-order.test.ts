/**
 * A host's status writes land in the order they were made. Before, a status write held up
 * (an etcd leader change makes the client retry on another member) could land after a newer
 * one and leave a stale revision in the store for good; a rollout then waited for that host
 * until its timeout. Here a backend holds one write on purpose, a newer sync happens, and the
 * store must end with the newer status. Real etcd (one member); the hold is the only fake.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FleetAgent } from '../../../src/daemon/fleet/agent.js';
import type { FleetBackend } from '../../../src/daemon/fleet/backend.js';
import { EtcdFleet } from '../../../src/daemon/fleet/etcd.js';
import { parseFleetUrl } from '../../../src/daemon/fleet/url.js';
import { silentLogger } from '../../../src/daemon/logger.js';
import { Daemon } from '../../../src/daemon/service.js';
import type { FleetDoc, HostStatus } from '../../../src/model/fleet.js';
import { EtcdCluster, etcdMissing } from './etcd-cluster.js';
import { mainConfig, PF, tempRoot, until } from './fleet-harness.js';

const skip = etcdMissing();

const vfDoc = (vlan: number): FleetDoc => ({
  kind: 'vf',
  name: 'web',
  selector: { matchLabels: {} },
  policy: { name: 'web', pf: PF, vf: 0, vlans: [vlan] },
});

describe('fleet agent status writes', { skip: skip ?? false, timeout: 60_000 }, () => {
  const cluster = new EtcdCluster();
  let fleet: EtcdFleet;
  let tmp: Awaited<ReturnType<typeof tempRoot>>;
  let daemon: Daemon;
  let agent: FleetAgent;
  /** While set, the next status write waits for `release`. */
  let hold = false;
  let held: { status: HostStatus; release: () => void } | null = null;
  /** The held write has reached the store. */
  let heldLanded = false;

  before(async () => {
    tmp = await tempRoot();
    await cluster.start(1);
    fleet = new EtcdFleet(parseFleetUrl(cluster.url()), silentLogger());
    const dir = join(tmp.root, 'h0');
    await mkdir(dir);
    const configFile = join(dir, 'nicvisor.json');
    await writeFile(configFile, JSON.stringify(mainConfig(join(dir, 'state'), 1)));
    daemon = new Daemon({ configFile, log: silentLogger() });
    await daemon.start();
    const real = new EtcdFleet(parseFleetUrl(cluster.url()), silentLogger());
    const backend = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'putStatus')
          return async (status: HostStatus) => {
            if (hold && !held) {
              const gate = new Promise<void>((r) => {
                held = { status, release: r };
              });
              await gate;
              await target.putStatus(status);
              heldLanded = true;
              return;
            }
            return target.putStatus(status);
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as FleetBackend;
    agent = new FleetAgent({
      host: 'h0',
      labels: {},
      backend,
      daemon,
      stateDir: daemon.settings.stateDir,
      log: silentLogger(),
      retryMs: 200,
    });
    await agent.start();
  });

  after(async () => {
    held?.release();
    await agent?.stop();
    await daemon?.stop();
    await fleet?.close();
    await cluster.stop();
    await tmp?.cleanup();
  });

  const stored = async () => (await fleet.statuses()).find((s) => s.host === 'h0');

  test('a write held up behind a newer sync does not leave the older status in the store', async () => {
    const first = await fleet.writeDocs({ put: [vfDoc(100)], delete: [] });
    await until(
      async () => ((await stored())?.revision ?? 0) >= first.revision,
      10_000,
      'the first status',
    );
    // A status write that is not a sync's own: a credential's audit entry asks for one.
    hold = true;
    await daemon.issueCredential('web', 'test');
    await until(() => held !== null, 5_000, 'the held write');
    const heldAt = held!.status.revision;
    // A newer sync while that write is in flight.
    const next = await fleet.writeDocs({ put: [vfDoc(200)], delete: [] });
    await until(() => daemon.getVf('web').policy.vlans[0] === 200, 10_000, 'the new VLAN applied');
    // Whatever the agent writes meanwhile is written; then the held write lands.
    await new Promise((r) => setTimeout(r, 1500));
    held!.release();
    await until(() => heldLanded, 5_000, 'the held write to land');
    await until(
      async () => ((await stored())?.revision ?? 0) >= next.revision,
      5_000,
      `the store to show the newer status (revision ${next.revision}; the held write was of ${heldAt})`,
    ).catch(async (err: Error) => {
      assert.fail(`${err.message}; the store has revision ${(await stored())?.revision}`);
    });
    // And it stays: nothing older lands afterwards.
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(((await stored())?.revision ?? 0) >= next.revision);
  });
});
