// The MAC guard of the linux driver (guarded trust, watch mode) against a fake kernel: a
// PF's VF table that a "guest" changes behind nicvisor's back, as igb does when a trusted
// igbvf sets its own MAC, and that the guard's IFLA_VF_MAC writes change back.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { DriverEvent, GuestRequestHandler } from '../../../src/drivers/driver.js';
import { MacGuard } from '../../../src/drivers/linux/mac-guard.js';
import type { LinkInfo } from '../../../src/drivers/linux/netlink/link-decode.js';
import { kernelState } from '../../../src/drivers/linux/settings.js';
import { VfCache } from '../../../src/drivers/linux/vf-cache.js';
import type { Decision, GuestRequest } from '../../../src/model/index.js';
import { vfInfo } from './fixtures.js';

const PF = '0000:01:00.0';
const OWN = ['02:00:00:00:0a:01', '02:00:00:00:0b:01', '02:00:00:00:0c:01'];
const RETH = '02:00:00:00:ee:01';
const ALIEN = '02:00:00:00:66:66';

/** A PF with three VFs in the kernel, and what nicvisor knows of them. */
class FakeKernel {
  macs = [...OWN];
  writes: Array<{ vf: number; mac: string }> = [];
  refuseWrites = false;
  link(): LinkInfo {
    return {
      index: 7,
      name: 'eth0',
      flags: 1,
      up: true,
      lowerUp: true,
      mtu: 1500,
      numVfs: this.macs.length,
      vfs: this.macs.map((m, i) => ({ ...vfInfo(i, 0, m), trust: true })),
    };
  }
}

describe('MacGuard: a trusted guest changes its own MAC', () => {
  let kernel: FakeKernel;
  let cache: VfCache;
  let events: Array<Extract<DriverEvent, { type: 'macGuard' }>>;
  let asked: Array<{ vf: number; request: GuestRequest; source?: string }>;
  let epoch: number;
  let handler: GuestRequestHandler | null;
  let guard: MacGuard;

  /** The daemon's rule in short: a MAC of the allow-list that no other VF holds. */
  const policyHandler: GuestRequestHandler = async (_pf, vf, request, source) => {
    asked.push({ vf, request, source });
    if (request.type !== 'setMac') return { result: 'nack', reason: 'unexpected' };
    const holder = kernel.macs.findIndex((m, i) => i !== vf && m === request.mac);
    if (holder >= 0)
      return { result: 'nack', reason: `MAC ${request.mac} is held by vf ${holder}` };
    const allowed = [OWN[vf], RETH];
    return allowed.includes(request.mac)
      ? { result: 'ack', reason: 'in the policy' }
      : { result: 'nack', reason: `MAC ${request.mac} is not in the allow-list` };
  };

  beforeEach(() => {
    kernel = new FakeKernel();
    cache = new VfCache();
    cache.rememberLink(PF, kernel.link());
    events = [];
    asked = [];
    epoch = 0;
    handler = policyHandler;
    guard = new MacGuard({
      cache,
      read: async (pfs) => new Map(pfs.map((p) => [p, kernel.link()])),
      setMac: async (_pf, vf, mac) => {
        if (kernel.refuseWrites) return { errno: 1, extack: 'Operation not permitted' };
        kernel.writes.push({ vf, mac });
        kernel.macs[vf] = mac;
        return { errno: 0 };
      },
      handler: () => handler,
      emit: (e) => {
        if (e.type === 'macGuard') events.push(e);
      },
      epoch: () => epoch,
    });
    guard.watch(PF, 0, true);
    guard.watch(PF, 1, true);
  });

  it('keeps an allowed MAC, asked once as the guest’s setMac (source watch)', async () => {
    kernel.macs[0] = RETH;
    await guard.poll();
    assert.deepEqual(asked, [{ vf: 0, request: { type: 'setMac', mac: RETH }, source: 'watch' }]);
    assert.deepEqual(kernel.writes, [], 'nothing written back');
    assert.equal(events[0].action, 'kept');
    assert.equal(cache.kernel(PF, 0)?.mac, RETH, 'the MAC in use is the new one');
    await guard.poll();
    assert.equal(asked.length, 1, 'a kept MAC is not asked about again');
  });

  it('reverts a MAC outside the allow-list to the one nicvisor set, and says why', async () => {
    kernel.macs[1] = ALIEN;
    await guard.poll();
    assert.deepEqual(kernel.writes, [{ vf: 1, mac: OWN[1] }]);
    assert.equal(kernel.macs[1], OWN[1]);
    assert.equal(events.length, 1);
    const e = events[0];
    assert.deepEqual([e.action, e.vf, e.mac, e.held], ['reverted', 1, ALIEN, OWN[1]]);
    assert.match(e.reason, /not in the allow-list/);
    assert.ok(e.ms >= 0);
    await guard.poll();
    assert.equal(asked.length, 1, 'after the revert the VF is as nicvisor knows it');
  });

  it('reverts a MAC another VF of the PF holds, even one the policy lists', async () => {
    kernel.macs[0] = RETH;
    await guard.poll(); // vf 0 takes the RETH MAC: kept
    kernel.macs[1] = RETH;
    await guard.poll();
    assert.deepEqual(kernel.writes, [{ vf: 1, mac: OWN[1] }]);
    assert.match(events[1].reason, /held by vf 0/);
    assert.deepEqual(kernel.macs.slice(0, 2), [RETH, OWN[1]]);
  });

  it('a failover in one read (the active gives the MAC up, the standby takes it) is kept', async () => {
    kernel.macs[0] = RETH;
    await guard.poll();
    kernel.macs[0] = OWN[0];
    kernel.macs[1] = RETH;
    await guard.poll();
    assert.deepEqual(
      events.map((e) => [e.vf, e.action]),
      [
        [0, 'kept'],
        [0, 'kept'],
        [1, 'kept'],
      ],
    );
    assert.deepEqual(kernel.writes, []);
  });

  it('leaves unwatched VFs and blank (reset) VFs to the drift detector', async () => {
    kernel.macs[2] = ALIEN; // vf 2 is not guarded
    kernel.macs[0] = '00:00:00:00:00:00'; // vf 0 re-created by the PF driver
    await guard.poll();
    assert.deepEqual(asked, []);
    assert.deepEqual(kernel.writes, []);
  });

  it('reverts when no daemon answers (fails closed)', async () => {
    handler = null;
    kernel.macs[0] = RETH;
    await guard.poll();
    assert.deepEqual(kernel.writes, [{ vf: 0, mac: OWN[0] }]);
    assert.match(events[0].reason, /no daemon answers/);
  });

  it('reverts when the decision throws', async () => {
    handler = async () => {
      throw new Error('store is read-only');
    };
    kernel.macs[0] = RETH;
    await guard.poll();
    assert.equal(events[0].action, 'reverted');
    assert.match(events[0].reason, /deciding failed: store is read-only/);
  });

  it('does not revert what an apply set meanwhile', async () => {
    const POLICY = '02:00:00:00:0a:99';
    handler = async (pf, vf, r, src): Promise<Decision> => {
      const d = await policyHandler(pf, vf, r, src);
      // An apply ran while the daemon decided: the operator gave vf 0 a new default MAC.
      epoch++;
      kernel.macs[0] = POLICY;
      const k = cache.kernel(PF, 0);
      if (k) cache.remember(PF, 0, { ...k, mac: POLICY });
      return d;
    };
    kernel.macs[0] = ALIEN;
    await guard.poll();
    assert.deepEqual(kernel.writes, []);
    assert.equal(events.length, 0);
    assert.equal(kernel.macs[0], POLICY);
  });

  it('after an unrelated apply meanwhile, still reverts, to what nicvisor knows now', async () => {
    handler = async (pf, vf, r, src): Promise<Decision> => {
      const d = await policyHandler(pf, vf, r, src);
      epoch++; // e.g. another VF's policy applied
      return d;
    };
    kernel.macs[0] = ALIEN;
    await guard.poll();
    assert.deepEqual(kernel.writes, [{ vf: 0, mac: OWN[0] }]);
    assert.equal(events[0].action, 'reverted');
  });

  it('discards a read that overlapped an apply', async () => {
    kernel.macs[0] = ALIEN;
    const links = new Map([[PF, kernel.link()]]);
    epoch++;
    await guard.check(links, 0);
    assert.deepEqual(asked, []);
  });

  it('a refused revert is reported once, not asked again every poll', async () => {
    kernel.refuseWrites = true;
    kernel.macs[0] = ALIEN;
    await guard.poll();
    await guard.poll();
    assert.equal(asked.length, 1);
    assert.equal(events[0].action, 'revertFailed');
    assert.match(
      events[0].reason,
      /revert to 02:00:00:00:0a:01 failed: errno 1 \(Operation not permitted\)/,
    );
  });

  it('stops watching a VF when its settings say so, and reads nothing with none watched', async () => {
    guard.watch(PF, 0, false);
    guard.forget(PF, 1);
    assert.deepEqual(guard.pfs(), []);
    kernel.macs[0] = ALIEN;
    let reads = 0;
    const g = new MacGuard({
      cache,
      read: async () => {
        reads++;
        return new Map();
      },
      setMac: async () => ({ errno: 0 }),
      handler: () => handler,
      emit: () => {},
      epoch: () => 0,
    });
    await g.poll();
    await guard.poll();
    assert.equal(reads, 0);
    assert.deepEqual(asked, []);
    assert.equal(kernelState(kernel.link().vfs[0]).mac, ALIEN);
  });
});
