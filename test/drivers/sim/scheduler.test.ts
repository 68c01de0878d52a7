import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrafficClassMode, VfSettings } from '../../../src/model/index.js';
import { counters, frame, mac, PF, program, type Rig, rig, WIRE_MAC } from './kit.js';

const FRAME = 1000;
const MS = 1_000_000;
const TICK = 1_000;

/** One VF offering traffic in one class: `pcp` selects the class (port VLAN 100 + vf). */
interface Offer {
  vf: number;
  pcp: number;
  mbps: number;
  settings?: Partial<VfSettings>;
}

/**
 * Each VF offers `mbps` of 1000-byte frames (paced on the virtual clock, 1 µs ticks) for
 * `ms`; returns the rate each got through the uplink, in Mbps, over the last `ms - warm`
 * (the first epochs are measurements the scheduler has not acted on yet).
 */
function measure(r: Rig, offers: Offer[], ms = 60, warm = 10): number[] {
  for (const o of offers) {
    program(r.nic, o.vf, { vlans: [100 + o.vf], vlanQoS: o.pcp, ...o.settings });
  }
  const frames = offers.map((o) => frame({ src: mac(o.vf), dst: WIRE_MAC, size: FRAME }));
  const credit = offers.map(() => 0);
  const sent = offers.map(() => 0);
  for (let t = 0; t < ms * MS; t += TICK) {
    offers.forEach((o, i) => {
      credit[i] += (o.mbps * 1e6 * TICK) / 1e9 / 8;
      while (credit[i] >= FRAME) {
        credit[i] -= FRAME;
        if (r.nic.sendFromVf(PF, o.vf, frames[i]) === 'sent' && t >= warm * MS) sent[i]++;
      }
    });
    r.clock.advance(TICK);
  }
  return sent.map((n) => (n * FRAME * 8) / ((ms - warm) * 1000));
}

function near(got: number[], want: number[], linkMbps: number, msg: string): void {
  const ok = got.every((g, i) => Math.abs(g - want[i]) <= linkMbps * 0.02);
  assert.ok(
    ok,
    `${msg}: got ${got.map((g) => g.toFixed(0)).join(' / ')} Mbps, want ${want.join(' / ')}`,
  );
}

const ETS: TrafficClassMode = { strictPriority: false, group: 0 };

function classes(
  r: Rig,
  bandwidth: number[],
  modes: TrafficClassMode[] = bandwidth.map(() => ETS),
) {
  r.nic.pf(PF).setTrafficClasses(bandwidth, modes);
}

test('regression: a 16 % share is a minimum, not a cap (was 965 vs 6009 Mbps)', () => {
  // Link 10 Gb/s, class 0 60 %, class 1 40 %. VF 0 has 16 % of class 0, VF 1 no share; both
  // offer the whole link in class 0 while VF 2 fills class 1. Before: VF 0 was held to
  // 16 % of 6000 (965 Mbps) while VF 1 took the class (6009). Now they split class 0.
  const r = rig(3, 10000);
  classes(r, [60, 40]);
  const got = measure(r, [
    { vf: 0, pcp: 0, mbps: 10000, settings: { trafficShares: [16, 0] } },
    { vf: 1, pcp: 0, mbps: 10000 },
    { vf: 2, pcp: 1, mbps: 10000 },
  ]);
  near(got, [3000, 3000, 4000], 10000, 'class 0 split, class 1 its 40 %');
});

test('ets: a share above the fair split is guaranteed; the VF without a share gets the rest', () => {
  const r = rig(2, 1000);
  classes(r, [100]);
  const got = measure(r, [
    { vf: 0, pcp: 0, mbps: 1000, settings: { trafficShares: [70] } },
    { vf: 1, pcp: 0, mbps: 1000 },
  ]);
  near(got, [700, 300], 1000, '70 % share vs none');
});

test('ets: a share the VF does not use is shared out', () => {
  const r = rig(2, 1000);
  classes(r, [100]);
  const got = measure(r, [
    { vf: 0, pcp: 0, mbps: 100, settings: { trafficShares: [70] } },
    { vf: 1, pcp: 0, mbps: 1000 },
  ]);
  near(got, [100, 900], 1000, 'VF 1 takes what VF 0 leaves');
});

test('ets: VFs without a share split what the shares leave, equally', () => {
  const r = rig(3, 1000);
  classes(r, [100]);
  const got = measure(r, [
    { vf: 0, pcp: 0, mbps: 1000, settings: { trafficShares: [50] } },
    { vf: 1, pcp: 0, mbps: 1000 },
    { vf: 2, pcp: 0, mbps: 1000 },
  ]);
  near(got, [500, 250, 250], 1000, '50 % share, two without');
});

test('ets: busy classes get their bandwidth; an idle class lends it out', () => {
  const busy = rig(2, 1000);
  classes(busy, [75, 25]);
  near(
    measure(busy, [
      { vf: 0, pcp: 0, mbps: 1000 },
      { vf: 1, pcp: 1, mbps: 1000 },
    ]),
    [750, 250],
    1000,
    'both classes busy',
  );
  const alone = rig(2, 1000);
  classes(alone, [75, 25]);
  near(
    measure(alone, [
      { vf: 0, pcp: 0, mbps: 100 },
      { vf: 1, pcp: 1, mbps: 1000 },
    ]),
    [100, 900],
    1000,
    'class 1 takes what class 0 leaves',
  );
});

test('ets: PCPs past the last class fall into it', () => {
  const r = rig(2, 1000);
  classes(r, [90, 10]);
  const got = measure(r, [
    { vf: 0, pcp: 0, mbps: 1000 },
    { vf: 1, pcp: 7, mbps: 1000 },
  ]);
  near(got, [900, 100], 1000, 'PCP 7 is class 1');
});

test('strict priority: a strict class is served first, whatever its bandwidth', () => {
  const strict = rig(2, 1000);
  classes(strict, [50, 50], [ETS, { strictPriority: true, group: 0 }]);
  const got = measure(strict, [
    { vf: 0, pcp: 0, mbps: 1000 },
    { vf: 1, pcp: 1, mbps: 800 },
  ]);
  near(got, [200, 800], 1000, 'strict class 1 takes its 800 first');
  const ets = rig(2, 1000);
  classes(ets, [50, 50]);
  near(
    measure(ets, [
      { vf: 0, pcp: 0, mbps: 1000 },
      { vf: 1, pcp: 1, mbps: 800 },
    ]),
    [500, 500],
    1000,
    'without strict priority: 50/50',
  );
});

test('bandwidth groups: a class’s unused bandwidth goes to its group first', () => {
  // Classes 0 and 1 (25 % each) form group 0, class 2 (50 %) group 1; class 1 is idle.
  const grouped = rig(2, 1000);
  classes(grouped, [25, 25, 50], [ETS, ETS, { strictPriority: false, group: 1 }]);
  const offers = [
    { vf: 0, pcp: 0, mbps: 1000 },
    { vf: 1, pcp: 2, mbps: 1000 },
  ];
  near(measure(grouped, offers), [500, 500], 1000, 'class 0 inherits class 1’s 25 %');
  const flat = rig(2, 1000);
  classes(flat, [25, 25, 50]);
  near(measure(flat, offers), [333, 667], 1000, 'one group: shared 25:50 by weight');
});

test('minTxRate: the guarantee is served off the top, the rest shared by class', () => {
  const r = rig(2, 1000);
  classes(r, [50, 50]);
  const got = measure(r, [
    { vf: 0, pcp: 0, mbps: 1000, settings: { minTxRate: 600 } },
    { vf: 1, pcp: 1, mbps: 1000 },
  ]);
  near(got, [800, 200], 1000, '600 guaranteed + half of the 400 left');
});

test('the link is never exceeded, and drops are counted on the PF', () => {
  const r = rig(3, 1000);
  classes(r, [100]);
  const got = measure(r, [
    { vf: 0, pcp: 0, mbps: 500 },
    { vf: 1, pcp: 0, mbps: 500 },
    { vf: 2, pcp: 0, mbps: 500 },
  ]);
  near(got, [333, 333, 333], 1000, 'three equal VFs');
  assert.ok(counters(r.nic, 'pf').txDropped > 0, 'the excess is dropped at the uplink');
  assert.ok(counters(r.nic, 0).txDropped > 0, 'and counted as the sender’s txDropped');
});
