import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MainConfigInput, PfCapabilities } from '../../../src/model/index.js';
import { MAIN_FILE, mac, mainInput, PF0, PF1, problems, vf } from '../fixtures.js';

const switchdev = (extra = {}) =>
  mainInput({
    pfs: [
      { pf: PF0, numVfs: 8, eswitchMode: 'switchdev' },
      { pf: PF1, numVfs: 8, eswitchMode: 'switchdev' },
    ],
    ...extra,
  });

/** `field: message` of each problem, so a case reads as the list an operator gets. */
function found(policies: Parameters<typeof problems>[0], main: MainConfigInput, caps = {}) {
  return problems(policies, main, caps).map((p) => `${p.field}: ${p.message}`);
}

const LINUX_LAG: Partial<PfCapabilities> = {
  lag: {
    modes: ['active-backup', 'balance-xor', '802.3ad'],
    vfLag: false,
    vfLagReason: 'no rules',
  },
};

describe('validate: LAGs', () => {
  it('accepts a hardware VF-LAG of two switchdev ports of one NIC', () => {
    const main = switchdev({
      lags: [
        { name: 'bond0', members: [PF0, PF1], mode: 'balance-xor', xmitHashPolicy: 'layer3+4' },
      ],
    });
    assert.deepEqual(problems([vf('a', PF0, 0, { macs: [mac()] })], main), []);
  });

  it('names every problem of a LAG at once', () => {
    const main = mainInput({
      pfs: [
        { pf: PF0, numVfs: 8, mtu: 9000 },
        { pf: PF1, numVfs: 8 },
      ],
      lags: [
        {
          name: 'a-bond-name-far-too-long',
          members: [PF0, PF1],
          mode: 'active-backup',
          xmitHashPolicy: 'layer2',
          lacpRate: 'fast',
          primary: 'sim:nic0/5',
        },
      ],
    });
    assert.deepEqual(found([], main), [
      'lags.0.name: LAG a-bond-name-far-too-long: name "a-bond-name-far-too-long" cannot name a bond interface',
      'lags.0.xmitHashPolicy: LAG a-bond-name-far-too-long: mode active-backup sends on one member; xmitHashPolicy would be ignored',
      'lags.0.lacpRate: LAG a-bond-name-far-too-long: mode active-backup runs no LACP; lacpRate would be ignored',
      'lags.0.primary: LAG a-bond-name-far-too-long: primary sim:nic0/5 is not a member',
      'lags.0.members.0: LAG a-bond-name-far-too-long: hardware VF-LAG needs member sim:nic0/0 in switchdev mode; it is in legacy',
      'lags.0.members.1: LAG a-bond-name-far-too-long: hardware VF-LAG needs member sim:nic0/1 in switchdev mode; it is in legacy',
      'lags.0.members: LAG a-bond-name-far-too-long: member sim:nic0/0 has mtu 9000 and sim:nic0/1 has 1500; a frame that fits one could be dropped by the other after a failover',
    ]);
  });

  it('refuses members that are unknown, repeated or already in another LAG', () => {
    const main = switchdev({
      lags: [
        { name: 'bond0', members: [PF0, 'sim:nic0/7'] },
        { name: 'bond1', members: [PF0, PF0] },
        { name: 'bond0', members: [PF1, 'sim:nic0/6'], vfLag: false },
      ],
    });
    const p = problems([], main);
    assert.deepEqual(
      p.map((x) => `${x.field}: ${x.message}`),
      [
        'lags.0.members.1: LAG bond0: member sim:nic0/7 is not a PF of this configuration',
        'lags.1.members.1: LAG bond1: lists PF sim:nic0/0 twice',
        'lags.1.members.0: LAG bond1: member sim:nic0/0 is already a member of LAG bond0',
        'lags.2.name: LAG bond0: name is also used by lags.0',
        'lags.2.members.1: LAG bond0: member sim:nic0/6 is not a PF of this configuration',
      ],
    );
    assert.equal(p[0].file, MAIN_FILE);
    assert.equal(p[0].allowed, `${PF0}, ${PF1}`);
  });

  it('hardware VF-LAG needs both members on one NIC', () => {
    const main: MainConfigInput = {
      driver: 'sim',
      sim: {
        nics: [
          { name: 'nic0', ports: 1 },
          { name: 'nic1', ports: 1 },
        ],
      },
      pfs: [
        { pf: 'sim:nic0/0', numVfs: 4, eswitchMode: 'switchdev' },
        { pf: 'sim:nic1/0', numVfs: 4, eswitchMode: 'switchdev' },
      ],
      lags: [{ name: 'bond0', members: ['sim:nic0/0', 'sim:nic1/0'] }],
    };
    assert.deepEqual(found([], main), [
      'lags.0.members: LAG bond0: hardware VF-LAG needs both members on one NIC; their switch ids are nic0 and nic1',
    ]);
    const host = {
      ...main,
      lags: [{ name: 'bond0', members: ['sim:nic0/0', 'sim:nic1/0'], vfLag: false }],
    };
    assert.deepEqual(found([], host), []);
  });

  it('a driver without hardware VF-LAG offers a host bond only, and says why', () => {
    const main = switchdev({ lags: [{ name: 'bond0', members: [PF0, PF1] }] });
    const p = problems([], main, LINUX_LAG);
    assert.equal(p.length, 2);
    assert.equal(p[0].field, 'lags.0.vfLag');
    assert.match(p[0].message, /driver sim of sim:nic0\/0 cannot back VFs by both ports: no rules/);
    assert.match(p[0].fix, /set vfLag to false/);
    const host = switchdev({ lags: [{ name: 'bond0', members: [PF0, PF1], vfLag: false }] });
    assert.deepEqual(problems([], host, LINUX_LAG), []);
    assert.deepEqual(found([], host, { lag: undefined }), [
      'lags.0.members.0: LAG bond0: driver sim of sim:nic0/0 cannot bond PFs',
      'lags.0.members.1: LAG bond0: driver sim of sim:nic0/1 cannot bond PFs',
    ]);
  });

  it('a driver that backs only the first member’s VFs refuses VF policies on the second', () => {
    const main = switchdev({ lags: [{ name: 'bond0', members: [PF0, PF1] }] });
    const firstOnly: Partial<PfCapabilities> = {
      lag: { modes: ['active-backup'], vfLag: true, vfLagFirstMemberOnly: 'one eswitch per PF' },
    };
    const onFirst = [vf('a', PF0, 0, { macs: [mac()] })];
    assert.deepEqual(problems(onFirst, main, firstOnly), []);
    const p = problems([...onFirst, vf('b', PF1, 2, { macs: [mac()] })], main, firstOnly);
    assert.deepEqual(
      p.map((x) => `${x.field}: ${x.message}`),
      [
        'lags.0.members.1: LAG bond0: VF 2 (b, /var/lib/nicvisor/vfs/b.json) is on the second member sim:nic0/1, whose VFs this driver cannot back by the bond: one eswitch per PF',
      ],
    );
    assert.match(p[0].fix, /move b to a VF of sim:nic0\/0/);
    // A host bond (vfLag false) leaves the VFs single-port: nothing to refuse.
    const host = switchdev({ lags: [{ name: 'bond0', members: [PF0, PF1], vfLag: false }] });
    assert.deepEqual(problems([vf('b', PF1, 2, { macs: [mac()] })], host, firstOnly), []);
  });

  it('an LACP host bond carries only VFs paired across its members (openshift-docs#118392)', () => {
    const m = mac();
    const main = mainInput({
      lags: [{ name: 'bond0', members: [PF0, PF1], mode: '802.3ad', vfLag: false }],
    });
    const pair = [
      vf('a', PF0, 0, { macs: [m], haPeer: 'b' }),
      vf('b', PF1, 0, { macs: [m], haPeer: 'a' }),
    ];
    assert.deepEqual(problems(pair, main), []);
    assert.deepEqual(found([...pair, vf('lone', PF1, 1, { macs: [mac()] })], main), [
      'lags.0.members.1: LAG bond0: member sim:nic0/1 is in an LACP bundle, but VF 1 (lone, /var/lib/nicvisor/vfs/lone.json) is a single-port VF: its frames would reach one port of the bundle only',
    ]);
  });

  it('a PF naming a LAG must be one of its members', () => {
    const main = mainInput({
      pfs: [
        { pf: PF0, numVfs: 8, lag: 'bond1' },
        { pf: PF1, numVfs: 8, lag: 'bond0' },
      ],
      lags: [{ name: 'bond0', members: [PF0, PF1], vfLag: false }],
    });
    assert.deepEqual(found([], main), [
      'pfs.0.lag: PF sim:nic0/0: lag bond1 is not defined in lags',
    ]);
  });
});
