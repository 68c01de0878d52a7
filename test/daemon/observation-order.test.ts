/**
 * What the API shows right after it answered a change is the NIC after the change, even when
 * a counter read that took its snapshot before the change lands after the answer (the
 * driver holds that read back; no timing involved). Without the ordering of reads in
 * Observations the late read put back the old ETS shares and the old mirror.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PfView, StatsView, VfView } from '../../src/model/index.js';
import { startWebDaemon, type WebDaemon } from '../web/kit.js';
import { until } from './harness.js';

let d: WebDaemon;

before(async () => {
  d = await startWebDaemon({ demoTraffic: false, statsIntervalMs: 100 });
});
after(() => d?.stop());

const PF = 'sim:nic0/1';

/** Hold the next counter read once it took its snapshot; returns its release. */
async function holdStatsRead(): Promise<() => Promise<void>> {
  const open = d.held.hold('stats');
  await d.held.arrived('stats');
  const at = (await d.api<StatsView>('GET', '/v1/stats')).at;
  return async () => {
    open();
    await until(
      async () => (await d.api<StatsView>('GET', '/v1/stats')).at !== at,
      5000,
      'the held counter read to land',
    );
  };
}

test('a counter read begun before a PF PUT and landing after its answer does not undo it', async () => {
  const [pf] = (await d.api<PfView[]>('GET', '/v1/pfs')).filter((p) => p.id === PF);
  assert.deepEqual(pf.trafficClasses, [60, 40]);
  const land = await holdStatsRead();
  const policy = {
    ...pf.policy,
    qos: {
      trafficClasses: [
        { name: 'bulk', bandwidth: 70 },
        { name: 'voice', bandwidth: 30, strictPriority: true },
      ],
    },
  };
  const answer = await d.api<{ pf: PfView }>('PUT', `/v1/pfs/${encodeURIComponent(PF)}`, policy);
  assert.deepEqual(answer.pf.trafficClasses, [70, 30], 'the answer shows the NIC after the PUT');
  await land();
  const now = (await d.api<PfView[]>('GET', '/v1/pfs')).find((p) => p.id === PF);
  assert.deepEqual(now?.trafficClasses, [70, 30], 'the late read did not put back 60/40');
});

test('a counter read begun before a mirror is cleared and landing after does not show it again', async () => {
  await d.api('PUT', '/v1/vfs/db-1/mirror', { target: 'tap', direction: 'in' });
  const land = await holdStatsRead();
  const answer = await d.api<{ vf: VfView }>('DELETE', '/v1/vfs/db-1/mirror');
  assert.equal(answer.vf.mirror.observed, null, 'the answer shows the cleared mirror');
  await land();
  const now = await d.api<VfView>('GET', '/v1/vfs/db-1');
  assert.equal(now.mirror.observed, null, 'the late read did not put the mirror back');
});
