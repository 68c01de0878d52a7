import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildFrame } from '../../../src/drivers/sim/build.js';
import { ManualClock } from '../../../src/drivers/sim/clock.js';
import { RX_PACKETS } from '../../../src/drivers/sim/counters.js';
import { receiveFromWire } from '../../../src/drivers/sim/datapath.js';
import { hiOf, loOf, macToNum } from '../../../src/drivers/sim/mac.js';
import { MTA_BITS, mtaHash } from '../../../src/drivers/sim/multicast.js';
import { SimPf } from '../../../src/drivers/sim/pf.js';
import { cloneSettings } from '../../../src/drivers/sim/settings.js';
import { HOST_INDEX, type SimVf } from '../../../src/drivers/sim/vf.js';
import { ZERO_MAC } from '../../../src/model/index.js';

/**
 * A one-port change (SimPf.refresh(port)) updates the PF-wide tables incrementally (issue
 * 16). After every step of a random sequence of changes, the PF must look exactly like a
 * twin built from the same settings by a full refresh: MAC owners (precedence included),
 * multicast table, unknown-unicast ports, mirrors, every port's compiled form, and where
 * frames from the wire arrive.
 */

const HOST_MAC = '02:fe:00:00:00:00';
const SPEC = { id: 'sim:p/0', nic: 'p', port: 0, totalVfs: 8, linkSpeedMbps: 10000, mac: HOST_MAC };
const VFS = 5;
/** Few MACs, so that VFs (and the host) claim the same one and precedence decides. */
const MACS = [HOST_MAC, '02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'];
/** 01:00:5e:00:00:fb and 01:00:5e:7f:00:fb hash to the same MTA bit. */
const GROUPS = ['01:00:5e:00:00:fb', '01:00:5e:7f:00:fb', '01:00:5e:00:00:01', '33:33:00:00:00:01'];
const VIDS = [0, 10, 20];

const vf = fc.integer({ min: 0, max: VFS - 1 });
const macArb = fc.constantFrom(...MACS, ZERO_MAC);
const bool = fc.boolean();

type Step =
  | { kind: 'field'; vf: number; field: string; value: unknown }
  | { kind: 'mirror'; vf: number; target: number; direction: 'in' | 'out' | 'all' | null }
  | { kind: 'groups'; port: number; groups: string[] }
  | { kind: 'host'; mac: string; promisc: boolean; allmulti: boolean }
  | { kind: 'wire'; up: boolean }
  | { kind: 'resize' };

const field = (name: string, value: fc.Arbitrary<unknown>): fc.Arbitrary<Step> =>
  fc.record({ kind: fc.constant('field' as const), vf, field: fc.constant(name), value });

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  field('mac', macArb),
  field('macFilters', fc.subarray(MACS.slice(1), { maxLength: 2 })),
  field('vlans', fc.subarray([10, 20], { maxLength: 2 })),
  field('stripOuterTag', bool),
  field('promisc', bool),
  field('allmulti', bool),
  field('allowUnknownUnicast', bool),
  field('allowBroadcast', bool),
  field('allowMulticast', bool),
  field('linkState', fc.constantFrom('auto', 'enable', 'disable')),
  field('mtu', fc.constantFrom(1500, 1280)),
  field('maxTxRate', fc.constantFrom(0, 100)),
  fc.record({
    kind: fc.constant('mirror' as const),
    vf,
    target: vf,
    direction: fc.constantFrom('in' as const, 'out' as const, 'all' as const, null),
  }),
  fc.record({
    kind: fc.constant('groups' as const),
    port: fc.integer({ min: HOST_INDEX, max: VFS - 1 }),
    groups: fc.subarray(GROUPS),
  }),
  fc.record({
    kind: fc.constant('host' as const),
    mac: fc.constantFrom(...MACS),
    promisc: bool,
    allmulti: bool,
  }),
  fc.record({ kind: fc.constant('wire' as const), up: bool }),
  fc.constant({ kind: 'resize' as const }),
);

/** Run a step; a change the PF refuses (a mirror onto itself…) must leave it as it was. */
function run(pf: SimPf, s: Step): void {
  try {
    if (s.kind === 'field') pf.setVfField(s.vf, s.field as 'mac', s.value, true);
    else if (s.kind === 'mirror')
      pf.setMirror(s.vf, s.direction ? { targetVf: s.target, direction: s.direction } : null);
    else if (s.kind === 'groups') pf.setGroups(s.port, s.groups);
    else if (s.kind === 'host')
      pf.setHost({ mac: s.mac, promisc: s.promisc, allmulti: s.allmulti });
    else if (s.kind === 'wire') pf.setWire(s.up);
    else pf.resize(VFS);
  } catch {
    // refused: compared like any other step
  }
}

/** The same PF built from scratch: settings, mirrors and groups copied, one full refresh. */
function twinOf(pf: SimPf): SimPf {
  const twin = new SimPf(SPEC, new ManualClock());
  twin.resize(pf.numVfs);
  twin.hostConfig = { ...pf.hostConfig };
  twin.wireUp = pf.wireUp;
  const copy = (from: SimVf, to: SimVf) => {
    to.settings = cloneSettings(from.settings);
    to.mirror = from.mirror && { ...from.mirror };
    to.groups = [...from.groups];
  };
  copy(pf.host, twin.host);
  for (const [i, v] of pf.vfs.entries()) copy(v, twin.vfs[i]);
  twin.refresh();
  return twin;
}

const name = (p: SimVf | null | undefined) => (p ? p.index : null);

/** A 12-bit MTA index → a group address low half (octets 3-5) that hashes to it. */
const loFor = (bit: number) => ((bit & 0xf) << 12) | (bit >> 4);

/** Everything the datapath reads from the PF-wide state, as plain data. */
function view(pf: SimPf) {
  const ports = pf.ports;
  const claimed = ports.flatMap((p) => p.macs);
  return {
    ports: ports.map(name),
    owners: [...new Set([...MACS.map(macToNum), ...claimed])].map((m) => [
      m,
      name(pf.macTable.get(hiOf(m), loOf(m))),
    ]),
    mta: Array.from({ length: MTA_BITS }, (_, b) => (pf.multicast.has(loFor(b)) ? b : -1)).filter(
      (b) => b >= 0,
    ),
    unknown: pf.unknownPorts.map(name),
    mirrors: pf.vfs.map((v) => [name(v.mirrorIn), name(v.mirrorOut)]),
    compiled: ports.map((p) => ({
      index: p.index,
      slot: p.slot,
      macs: p.macs,
      mac0: [p.mac0Hi, p.mac0Lo],
      vlan: [p.vlanMode, p.portVid, p.insertTci, p.strip, p.tpid, [...p.vlanBits].join()],
      modes: [p.acceptBroadcast, p.acceptMulticast, p.allMulticast, p.acceptUnknown],
      link: [p.linkUp, p.maxLen],
      rate: p.rateBucket !== null,
    })),
  };
}

/** Which ports each frame from the wire reaches: to every MAC, group and broadcast, per VID. */
function arrivals(pf: SimPf): number[][] {
  const out: number[][] = [];
  for (const dst of [...MACS, ...GROUPS, '02:99:00:00:00:99', 'ff:ff:ff:ff:ff:ff']) {
    for (const vid of VIDS) {
      const before = pf.ports.map((p) => p.counters[RX_PACKETS]);
      const f = buildFrame({ dst, src: '02:ee:00:00:00:01', tags: vid ? [{ vid }] : [], size: 64 });
      receiveFromWire(pf, f, f.length);
      out.push(pf.ports.flatMap((p, i) => (p.counters[RX_PACKETS] > before[i] ? [p.index] : [])));
    }
  }
  return out;
}

test('the MTA index helper of this test hits every bit', () => {
  for (let b = 0; b < MTA_BITS; b++) assert.equal(mtaHash(loFor(b)), b);
});

test('after any sequence of one-port changes the PF equals one rebuilt from its settings', () => {
  fc.assert(
    fc.property(fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'medium' }), (steps) => {
      const pf = new SimPf(SPEC, new ManualClock());
      pf.resize(VFS);
      for (const [i, s] of steps.entries()) {
        run(pf, s);
        const twin = twinOf(pf);
        assert.deepEqual(view(pf), view(twin), `after step ${i}: ${JSON.stringify(s)}`);
        assert.deepEqual(
          arrivals(pf),
          arrivals(twin),
          `frames after step ${i}: ${JSON.stringify(s)}`,
        );
      }
    }),
    { numRuns: 150 },
  );
});
