/**
 * The embedded demo used when `nicvisor serve` gets no config: the simulated NIC with
 * 2 PFs × 8 VFs and a handful of VF policies showing the main features (tagged, untagged,
 * trusted, mirrored, rate-limited, QinQ). The second PF is in switchdev mode: its policies
 * are compiled into eswitch rules (`nicvisor show rules edge-1`). A second NIC bonds its two
 * switchdev ports in a VF-LAG (`nicvisor show lags`); the demo traffic pulls one of its
 * cables now and then, so failovers show.
 */
import type { MainConfigInput, VfPolicyInput } from '../model/index.js';

export const DEMO_CONFIG_LABEL = '(embedded demo config)';

export function demoMainConfig(): MainConfigInput {
  return {
    driver: 'sim',
    sim: {
      nics: [
        { name: 'nic0', ports: 2, totalVfs: 64, linkSpeedMbps: 25000 },
        { name: 'nic1', ports: 2, totalVfs: 16, linkSpeedMbps: 100000 },
      ],
      demoTraffic: true,
      demoCableFlaps: true,
    },
    daemon: { driftIntervalMs: 2000, statsIntervalMs: 1000 },
    pfs: [
      { pf: 'sim:nic0/0', numVfs: 8, mtu: 9000 },
      {
        pf: 'sim:nic0/1',
        numVfs: 8,
        eswitchMode: 'switchdev',
        qos: {
          trafficClasses: [
            { name: 'bulk', bandwidth: 60 },
            { name: 'voice', bandwidth: 40, strictPriority: true },
          ],
        },
      },
      { pf: 'sim:nic1/0', numVfs: 4, eswitchMode: 'switchdev', lag: 'bond0' },
      { pf: 'sim:nic1/1', numVfs: 4, eswitchMode: 'switchdev', lag: 'bond0' },
    ],
    lags: [
      {
        name: 'bond0',
        members: ['sim:nic1/0', 'sim:nic1/1'],
        mode: 'balance-xor',
        xmitHashPolicy: 'layer2',
        miimon: 100,
      },
    ],
    // VFs 5-7 of both PFs are handed out by claims: `nicvisor claim demo-net --owner vm:NAME`;
    // migratable, so `nicvisor migrate` and the dashboard's migration states work on the demo.
    pools: [
      {
        name: 'demo-net',
        pfs: ['sim:nic0/0', { pf: 'sim:nic0/1', numaNode: 1 }],
        numaNode: 0,
        vfs: { from: 5, to: 7 },
        physicalNetwork: 'physnet1',
        placement: 'spread',
        migratable: true,
        profile: {
          vlans: [100],
          mac: { mode: 'range', from: '02:00:00:00:02:00', to: '02:00:00:00:02:ff' },
        },
      },
    ],
  };
}

export function demoPolicies(): VfPolicyInput[] {
  const pf0 = 'sim:nic0/0';
  const pf1 = 'sim:nic0/1';
  return [
    { name: 'web-1', pf: pf0, vf: 0, vlans: [100], macs: ['02:00:00:00:00:10'], guestMacs: 1 },
    {
      name: 'web-2',
      pf: pf0,
      vf: 1,
      vlans: [100],
      macs: ['02:00:00:00:00:11'],
      mirror: { target: 'tap', direction: 'all' },
    },
    { name: 'db-1', pf: pf0, vf: 2, untagged: true, macs: ['02:00:00:00:00:12'], maxTxRate: 1000 },
    {
      name: 'router',
      pf: pf0,
      vf: 3,
      vlans: [100, 200, 300],
      macs: ['02:00:00:00:00:13'],
      trust: true,
      mtu: 9000,
    },
    {
      name: 'tap',
      pf: pf0,
      vf: 4,
      vlans: [100],
      macs: ['02:00:00:00:00:14'],
      allowUnknownUnicast: true,
    },
    {
      name: 'voice-1',
      pf: pf1,
      vf: 0,
      vlans: [20],
      vlanQoS: 5,
      macs: ['02:00:00:00:01:10'],
      trafficShares: [10, 70],
    },
    {
      name: 'bulk-1',
      pf: pf1,
      vf: 1,
      untagged: true,
      macs: ['02:00:00:00:01:11'],
      minTxRate: 100,
      maxTxRate: 5000,
      trafficShares: [90, 30],
    },
    {
      name: 'edge-1',
      pf: pf1,
      vf: 2,
      vlans: [30, 40],
      stripOuterTag: false,
      macs: ['02:00:00:00:01:12', '02:00:00:00:01:1e', '02:00:00:00:01:1f'],
      guestMacs: 1,
      mirror: { target: 'tap-2', direction: 'in' },
    },
    {
      name: 'tap-2',
      pf: pf1,
      vf: 3,
      macs: ['02:00:00:00:01:13'],
      allowUnknownUnicast: true,
    },
    // VF-LAG VFs: backed by both ports of nic1; the layer2 hash puts them on different members.
    { name: 'lag-a', pf: 'sim:nic1/0', vf: 0, vlans: [50], macs: ['02:00:00:00:02:20'] },
    { name: 'lag-b', pf: 'sim:nic1/0', vf: 1, vlans: [50], macs: ['02:00:00:00:02:21'] },
  ];
}
