/**
 * No lock convoy: a policy change reconciles only the VFs it moved itself, not those that
 * changes queued ahead of it moved (its "before" snapshot used to be taken before it waited
 * for the store), and 50 concurrent clients mixing policy changes and guest requests get no
 * `busy` (503) answer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DaemonError } from '../../src/daemon/errors.js';
import { VfPolicy, type VfPolicyInput } from '../../src/model/index.js';
import { Prng } from './prng.js';
import { SPF0, SPF1, simDaemon } from './sim-daemon.js';

const vf = (i: number): VfPolicyInput => ({
  name: `v${i}`,
  pf: i < 8 ? SPF0 : SPF1,
  vf: i % 8,
  vlans: [10, 11, 12],
  macs: [`02:00:00:00:0c:${i.toString(16).padStart(2, '0')}`],
  guestMacs: 2,
});

test('each of two concurrent changes reconciles only the VF it moved', async () => {
  const s = await simDaemon([vf(0), vf(1)]);
  try {
    const seen: string[][] = [];
    const r = s.daemon.reconciler;
    const orig = r.reconcileVfs.bind(r);
    r.reconcileVfs = (names, reason, repair) => {
      if (reason === 'policy change') seen.push([...names]);
      return orig(names, reason, repair);
    };
    // Both start before either is committed: the second waits for the store.
    await Promise.all([
      s.daemon.putVf(VfPolicy.parse({ ...vf(0), vlans: [20] }), 'test'),
      s.daemon.putVf(VfPolicy.parse({ ...vf(1), vlans: [21] }), 'test'),
    ]);
    assert.deepEqual(seen.sort(), [['v0'], ['v1']]);
  } finally {
    await s.cleanup();
  }
});

test('50 concurrent clients (policy changes and guest requests): no busy answer', async () => {
  const n = 16;
  const s = await simDaemon(Array.from({ length: n }, (_, i) => vf(i)));
  try {
    const errors: string[] = [];
    let done = 0;
    const client = async (c: number) => {
      const p = new Prng(c + 1);
      const rnd = () => p.next();
      for (let k = 0; k < 12; k++) {
        const i = Math.floor(rnd() * n);
        try {
          if (c % 2 === 0) {
            const vlans = [10, 11, 12, 13 + Math.floor(rnd() * 50)];
            await s.daemon.putVf(VfPolicy.parse({ ...vf(i), vlans }), `client${c}`);
          } else {
            await s.daemon.guestRequest(`v${i}`, { type: 'setMtu', mtu: 1400 + k }, `guest${c}`);
          }
          done++;
        } catch (err) {
          if (err instanceof DaemonError && err.kind === 'busy') errors.push(err.message);
          else if (!(err instanceof DaemonError)) throw err;
          else done++;
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, (_, c) => client(c)));
    assert.deepEqual(errors, [], `${errors.length} busy answers out of 600`);
    assert.equal(done, 600);
  } finally {
    await s.cleanup();
  }
});
