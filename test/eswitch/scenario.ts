import fc from 'fast-check';
import { buildFrame, type TagSpec } from '../../src/drivers/sim/build.js';
import type { Port } from '../../src/drivers/sim/index.js';
import {
  emptyGuestState,
  type GuestState,
  type PfPolicy,
  type VfPolicyInput,
} from '../../src/model/index.js';

/**
 * Random PFs, VF policies, host interfaces and frames for the legacy-vs-switchdev property
 * test: small pools of VLANs and MACs so frames hit the policies' edges (own and foreign
 * MACs, member and foreign VLANs, both TPIDs, priority tags, lengths around MTU + 18).
 */

export const HOST_MAC = '02:fe:00:00:00:00';
export const GROUPS = ['01:00:5e:00:00:01', '01:00:5e:00:00:02', '33:33:00:00:00:01'];
const VLANS = [10, 20, 30];

export function vfMac(vf: number, j: number): string {
  return `02:00:00:00:0${vf}:0${j}`;
}

/** A frame and where it is sent from; hex, so a counterexample prints short. */
export interface FrameCase {
  from: Port;
  hex: string;
}

export interface Scenario {
  pf: Partial<PfPolicy>;
  policies: Omit<VfPolicyInput, 'pf'>[];
  guests: Map<string, GuestState>;
  host: { vlans: number[]; promisc: boolean; allmulti: boolean };
  /** Multicast groups each VF's guest joined (index = VF). */
  groups: string[][];
  frames: FrameCase[];
}

const bool = fc.boolean();
const vlanSet = fc.subarray(VLANS, { maxLength: 3 });

export function policyArb(vf: number, n: number, loopback: boolean) {
  const others = Array.from({ length: n }, (_, i) => i).filter((i) => i !== vf);
  const mirror =
    loopback && others.length > 0
      ? fc.option(
          fc.record({
            target: fc.constantFrom(...others).map((i) => `vf${i}`),
            direction: fc.constantFrom('in' as const, 'out' as const, 'all' as const),
          }),
          { nil: undefined },
        )
      : fc.constant(undefined);
  return fc.record({
    name: fc.constant(`vf${vf}`),
    vf: fc.constant(vf),
    vlans: vlanSet,
    vlanProto: fc.constantFrom('802.1Q', '802.1Q', '802.1Q', '802.1ad'),
    vlanQoS: fc.integer({ min: 0, max: 7 }),
    stripOuterTag: bool,
    macs: fc.subarray([vfMac(vf, 1), vfMac(vf, 2)]),
    macAntiSpoof: bool,
    vlanAntiSpoof: bool,
    allowBroadcast: bool,
    allowMulticast: bool,
    allowUnknownUnicast: bool,
    linkState: fc.constantFrom('auto', 'auto', 'enable', 'disable'),
    mtu: fc.constantFrom(undefined, 1000, 1500),
    maxTxRate: fc.constantFrom(0, 0, 0, 1),
    mirror,
  });
}

function guestArb(vf: number) {
  return fc.record({
    mac: fc.constantFrom(null, null, vfMac(vf, 2)),
    macs: fc.subarray([vfMac(vf, 3)]),
    vlans: fc.subarray([30]),
    mtu: fc.constantFrom(null, null, 1200),
    promisc: bool,
    allmulti: bool,
  });
}

function frameArb(n: number): fc.Arbitrary<FrameCase> {
  const macs = [
    ...Array.from({ length: n }, (_, i) => [vfMac(i, 1), vfMac(i, 2), vfMac(i, 3)]).flat(),
    HOST_MAC,
    '02:99:00:00:00:99',
    'ff:ff:ff:ff:ff:ff',
    ...GROUPS,
    '01:00:5e:7f:00:09',
  ];
  const tag = fc.record({
    proto: fc.constantFrom('802.1Q' as const, '802.1ad' as const),
    vid: fc.constantFrom(0, 10, 20, 30, 99),
    pcp: fc.integer({ min: 0, max: 7 }),
  });
  const from = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: n - 1 }) as fc.Arbitrary<Port> },
    { weight: 2, arbitrary: fc.constant<Port>('wire') },
    { weight: 1, arbitrary: fc.constant<Port>('host') },
  );
  const size = fc.oneof(
    fc.integer({ min: 60, max: 200 }),
    fc.integer({ min: 1010, max: 1030 }),
    fc.integer({ min: 1510, max: 1530 }),
  );
  return fc
    .record({
      from,
      dst: fc.constantFrom(...macs),
      src: fc.constantFrom(...macs.filter((m) => (Number.parseInt(m.slice(0, 2), 16) & 1) === 0)),
      tags: fc.array(tag, { maxLength: 2 }) as fc.Arbitrary<TagSpec[]>,
      size,
    })
    .map(({ from, ...spec }) => ({ from, hex: buildFrame(spec).toString('hex') }));
}

export function scenarioArb(): fc.Arbitrary<Scenario> {
  return fc
    .record({ n: fc.integer({ min: 2, max: 5 }), loopback: fc.boolean() })
    .chain(({ n, loopback }) =>
      fc.record({
        pf: fc.constant({ numVfs: n, loopback }),
        policies: fc.tuple(...Array.from({ length: n }, (_, i) => policyArb(i, n, loopback))),
        guests: fc.tuple(...Array.from({ length: n }, (_, i) => guestArb(i))),
        host: fc.record({
          vlans: fc.subarray([10, 20]),
          promisc: bool,
          allmulti: bool,
        }),
        groups: fc.tuple(...Array.from({ length: n }, () => fc.subarray(GROUPS.slice(0, 2)))),
        frames: fc.array(frameArb(n), { minLength: 10, maxLength: 30 }),
      }),
    )
    .map((s) => ({
      ...s,
      policies: s.policies as Omit<VfPolicyInput, 'pf'>[],
      guests: new Map(s.guests.map((g, i) => [`vf${i}`, { ...emptyGuestState(), ...g }])),
    }));
}
