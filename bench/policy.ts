/**
 * Policy engine figures: authorise() decisions per second and latency (goal p99 ≤ 20 µs: a
 * decision must stay a small part of a guest request's 1 ms budget over the socket), and
 * validate() on 8 PFs × 256 VFs.
 */
import {
  defaultCapabilityMap,
  type GuestRequest,
  MainConfig,
  type MainConfigInput,
  type ObservedPf,
  VfPolicy,
  type VfPolicyInput,
  zeroCounters,
} from '../src/model/index.js';
import { authorise, pfPeers } from '../src/policy/authorise.js';
import { desiredState } from '../src/policy/desired.js';
import { validate } from '../src/policy/validate.js';
import { atMost, type Bench } from './_report.js';
import { percentile, timeEach } from './_stats.js';

const NICS = 4;
const VFS = 256;

function mac(pf: number, vf: number, k: number): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `02:${h(k)}:00:${h(pf)}:${h(vf >> 8)}:${h(vf & 255)}`;
}

function setup() {
  const main: MainConfigInput = {
    driver: 'sim',
    sim: {
      nics: Array.from({ length: NICS }, (_, i) => ({
        name: `nic${i}`,
        ports: 2,
        totalVfs: VFS,
        linkSpeedMbps: 100000,
      })),
    },
    pfs: Array.from({ length: NICS * 2 }, (_, i) => ({
      pf: `sim:nic${i >> 1}/${i & 1}`,
      numVfs: VFS,
    })),
  };
  const policies: VfPolicyInput[] = [];
  for (let p = 0; p < NICS * 2; p++) {
    for (let v = 0; v < VFS; v++) {
      policies.push({
        name: `vf-${p}-${v}`,
        pf: `sim:nic${p >> 1}/${p & 1}`,
        vf: v,
        macs: [mac(p, v, 0), mac(p, v, 1)],
        vlans: [10 + (v % 100), 1000 + (v % 7)],
        guestMacs: 1,
        minTxRate: 10,
        maxTxRate: 1000,
      });
    }
  }
  return { main, policies };
}

function benchValidate(b: Bench, main: MainConfigInput, policies: VfPolicyInput[]): void {
  const caps = defaultCapabilityMap(MainConfig.parse(main));
  const vfs = policies.map((p) => ({ file: `vfs/${p.name}.json`, data: p }));
  validate({ file: 'nicvisor.json', data: main }, vfs, caps); // warm up
  const times = timeEach(5, () => {
    const r = validate({ file: 'nicvisor.json', data: main }, vfs, caps);
    if (r.problems.length > 0) throw new Error(`bench config invalid: ${r.problems[0].message}`);
  });
  const what = `validate ${NICS * 2} PFs × ${VFS} VFs`;
  b.figure(
    `${what}, median`,
    percentile(times, 50) / 1000,
    'ms',
    null,
    `${policies.length} policies`,
  );
  b.figure(`${what}, max`, times[times.length - 1] / 1000, 'ms');
}

function benchAuthorise(b: Bench, main: MainConfigInput, inputs: VfPolicyInput[]): void {
  const config = MainConfig.parse(main);
  const policies = inputs.filter((p) => p.pf === 'sim:nic0/0').map((p) => VfPolicy.parse(p));
  const d = desiredState({ ...config, pfs: [config.pfs[0]] }, policies, new Map(), new Map());
  const pf: ObservedPf = {
    kind: 'observed',
    id: 'sim:nic0/0',
    driver: 'sim',
    totalVfs: VFS,
    numVfs: VFS,
    linkUp: true,
    linkSpeedMbps: 100000,
    mtu: 1500,
    loopback: true,
    eswitchMode: 'legacy',
    trafficClasses: [],
    counters: zeroCounters(),
    vfs: d.vfs.map((v) => ({
      kind: 'observed',
      pf: v.pf,
      vf: v.vf,
      settings: v.settings,
      mirror: null,
      counters: zeroCounters(),
      linkUp: true,
    })),
  };
  const peers = pfPeers(policies);
  const requests: GuestRequest[] = [
    { type: 'setMac', mac: mac(0, 3, 1) }, // allow-listed
    { type: 'addMac', mac: mac(0, 200, 0) }, // held by another VF: scans the PF
    { type: 'addMac', mac: '02:ff:00:00:00:01' }, // guest room
    { type: 'delMac' },
    { type: 'addVlan', vlan: 13 },
    { type: 'addVlan', vlan: 3000 },
    { type: 'setMtu', mtu: 1400 },
    { type: 'setPromisc', enable: true },
    { type: 'reset' },
  ];
  const n = 200_000;
  const run = (i: number) => {
    const k = i % VFS;
    authorise(requests[i % requests.length], policies[k], pf.vfs[k], pf, peers);
  };
  for (let i = 0; i < 20_000; i++) run(i); // warm up the JIT
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) run(i);
  const perSecond = n / (Number(process.hrtime.bigint() - t0) / 1e9);
  const lat = timeEach(n, run);
  const note = `PF of ${VFS} VFs, mix of 9 request types`;
  b.figure('authorise, decisions', perSecond, '/s', null, note);
  b.figure('authorise, latency p50', percentile(lat, 50), 'µs');
  b.figure('authorise, latency p99', percentile(lat, 99), 'µs', atMost(20));
}

export async function run(b: Bench): Promise<void> {
  const { main, policies } = setup();
  benchAuthorise(b, main, policies);
  benchValidate(b, main, policies);
}
