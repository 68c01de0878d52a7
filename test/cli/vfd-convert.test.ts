import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { importVfd } from '../../src/cli/vfd/import.js';
import { shellToArgv } from '../../src/cli/vfd/notes.js';

const cfg = {
  file: 'vfd.cfg',
  data: {
    enable_qos: true,
    default_mtu: 9500,
    pciids: [
      {
        id: '0000:08:00.0',
        enable_loopback: true,
        vf_oversubscription: true,
        promiscuous: true,
        tclasses: [
          { name: 'voice', pri: 1, lsp: true, bsp: true, max_bw: 50, min_bw: 60 },
          { name: 'bulk', pri: 0, lsp: false, max_bw: 100, min_bw: 40 },
        ],
        bw_grps: { bwg0: [0], bwg1: [1] },
      },
    ],
  },
};

describe('VFd conversion (pure)', () => {
  it('carries QoS over when enable_qos is on: classes by priority, groups, shares (default 3)', () => {
    const r = importVfd(cfg, [
      {
        file: 'a.json',
        data: {
          name: 'a',
          pciid: '0000:08:00.0',
          vfid: 0,
          vlans: [5],
          queues: [
            { priority: 1, share: '25%' },
            { priority: 0, share: '10.9%' },
            { priority: 2, share: 40 },
          ],
          mirror: { target: 3, direction: 'inbound' },
        },
      },
      {
        file: 'b.json',
        data: {
          name: 'b',
          pciid: '0000:08:00.0',
          vfid: 3,
          mac: 'FA:16:3E:00:00:0B',
          macs: ['fa:16:3e:00:00:0c'],
          vlans: [6],
          strip_stag: true,
        },
      },
    ]);
    assert.deepEqual(r.main.pfs?.[0], {
      pf: '0000:08:00.0',
      mtu: 9216,
      loopback: true,
      flowControl: 'none',
      oversubscribe: true,
      qos: {
        trafficClasses: [
          { name: 'bulk', bandwidth: 40, group: 0, strictPriority: false },
          { name: 'voice', bandwidth: 60, group: 1, strictPriority: true },
        ],
      },
      numVfs: 4,
    });
    // atoi: "10.9%" is 10; a share that is not a string was ignored; unnamed classes get 3.
    assert.deepEqual(r.vfs[0].trafficShares, [10, 25, 3, 3]);
    assert.deepEqual(r.vfs[0].mirror, { target: 'b', direction: 'in' });
    assert.equal(r.vfs[0].stripOuterTag, false);
    // VFd read "mac" only when "macs" was empty.
    assert.deepEqual(r.vfs[1].macs, ['fa:16:3e:00:00:0c']);
    const keys = r.notes.map((n) => `${n.file}: ${n.key}`);
    for (const k of [
      'vfd.cfg: pciids[0].mtu',
      'vfd.cfg: pciids[0].promiscuous',
      'vfd.cfg: pciids[0].tclasses[pri 1].max_bw',
      'vfd.cfg: pciids[0].tclasses[pri 1].bsp',
      'a.json: allow_un_ucast',
      'a.json: queues',
      'b.json: mac',
    ]) {
      assert.ok(keys.includes(k), `missing note ${k} in ${keys.join(' / ')}`);
    }
  });

  it('reads pciids given as plain strings with default_mtu, and the MTU defaults VFd had', () => {
    const r = importVfd(
      {
        file: 'vfd.cfg',
        data: { default_mtu: 1500, pciids: [' 0000:3b:00.1', { id: '0000:3b:00.0', mtu: '9000' }] },
      },
      [],
      { driver: 'sim', eswitchMode: 'legacy' },
    );
    assert.deepEqual(
      r.main.pfs?.map((p) => [p.pf, p.mtu, p.loopback]),
      [
        // A string entry: default_mtu, loopback off (the sim can), promiscuous (noted).
        ['sim:vfd/0', 1500, false],
        // mtu "9000" is a string: VFd's jw_is_value said no, so default_mtu.
        ['sim:vfd/1', 1500, false],
      ],
    );
    assert.ok(r.notes.some((n) => n.key === 'pciids[0].promiscuous'));
    const old = importVfd({ file: 'c', data: { mtu: 2000, pciids: ['0000:01:00.0'] } }, []);
    assert.equal(old.main.pfs?.[0].mtu, 2000, 'the older top-level mtu is the default');
    const none = importVfd({ file: 'c', data: { pciids: ['0000:01:00.0'] } }, []);
    assert.equal(none.main.pfs?.[0].mtu, 9216, "VFd's 9420, capped to nicvisor's maximum");
  });

  it('reads flags as VFd did: only JSON booleans count, else the default', () => {
    const r = importVfd({ file: 'c', data: { pciids: ['0000:01:00.0'] } }, [
      {
        file: 'x.json',
        data: {
          pciid: '0000:01:00.0',
          vfid: 0,
          vlans: [7],
          allow_bcast: 'false',
          allow_mcast: false,
          allow_un_ucast: 1,
          strip_stag: 'true',
        },
      },
    ]);
    const v = r.vfs[0];
    assert.deepEqual(
      [v.allowBroadcast, v.allowMulticast, v.allowUnknownUnicast, v.stripOuterTag],
      [true, false, false, false],
    );
  });

  it("converts VFd's fractional rates with --link-speed, and says how without it", () => {
    const vf = { pciid: '0000:01:00.0', vfid: 0, vlans: [7], rate: 0.1, min_rate: 0.02 };
    const files = [{ file: 'r.json', data: vf }];
    const cfg1 = { file: 'c', data: { pciids: ['0000:01:00.0'] } };
    const r = importVfd(cfg1, files, {
      driver: 'linux',
      eswitchMode: 'legacy',
      linkSpeedMbps: 25000,
    });
    assert.deepEqual([r.vfs[0].maxTxRate, r.vfs[0].minTxRate], [2500, 500]);
    const bare = importVfd(cfg1, files);
    assert.equal(bare.vfs[0].maxTxRate, undefined);
    assert.ok(bare.notes.some((n) => n.key === 'rate' && /--link-speed/.test(n.note)));
    const mbps = importVfd(cfg1, [{ file: 'm.json', data: { ...vf, rate: 1000, min_rate: 0 } }]);
    assert.ok(mbps.notes.some((n) => n.key === 'rate' && /more than the whole link/.test(n.note)));
  });

  it('leaves out the files VFd itself refused, with its reason', () => {
    const cfg1 = { file: 'c', data: { pciids: ['0000:01:00.0'] } };
    const ok = { pciid: '0000:01:00.0', vlans: [7], macs: ['02:00:00:00:00:01'] };
    const r = importVfd(cfg1, [
      { file: 'a.json', data: { ...ok, vfid: 0, min_rate: 0.6 } },
      { file: 'b.json', data: { ...ok, vfid: 0, macs: [] } },
      { file: 'c.json', data: { ...ok, vfid: 1, vlans: [] } },
      { file: 'd.json', data: { ...ok, vfid: 2, macs: ['02:00:00:00:00:01'] } },
      { file: 'e.json', data: { ...ok, vfid: 3, macs: [], start_cb: '/bin/x; y' } },
      { file: 'f.json', data: { ...ok, vfid: 4, macs: [], pciid: '0000:99:00.0' } },
      { file: 'g.json', data: { ...ok, vfid: 5, macs: [], min_rate: 0.5 } },
      { file: 'h.json', data: { ...ok, vfid: 32, macs: [] } },
      { file: 'i.json', data: { ...ok, vfid: 6, macs: [], vlans: [7, 7] } },
      { file: 'j.json', data: { ...ok, vfid: 7, macs: [], mirror: { target: 7 } } },
      { file: 'k.json', data: { ...ok, vfid: 8, macs: [], vlans: [4096] } },
    ]);
    assert.deepEqual(r.sources, ['a.json']);
    const why = Object.fromEntries(
      r.notes.filter((n) => n.key === '(file)').map((n) => [n.file, n.note]),
    );
    const expect: Record<string, RegExp> = {
      'b.json': /vfid 0 already exists on port 0000:01:00.0/,
      'c.json': /vlan id list is empty/,
      'd.json': /mac cannot be added to this port .*02:00:00:00:00:01/,
      'e.json': /start_cb command contains invalid character: ;/,
      'f.json': /could not find port 0000:99:00.0 in the config/,
      'g.json': /total guaranteed rate exceeds link speed/,
      'h.json': /vfid 32 is out of range/,
      'i.json': /duplicate vlan in list: 7/,
      'j.json': /mirror target is out of range or is the same as this VF/,
      'k.json': /invalid vlan id: 4096/,
    };
    for (const [file, re] of Object.entries(expect)) assert.match(why[file] ?? '(none)', re, file);
  });

  it('--eswitch switchdev puts every PF in switchdev mode; --driver sim maps PCI ids to sim ports', () => {
    const r = importVfd(
      cfg,
      [{ file: 'a.json', data: { pciid: '0000:08:00.0', vfid: 1, vlans: [5, 6] } }],
      {
        driver: 'sim',
        eswitchMode: 'switchdev',
      },
    );
    assert.equal(r.main.driver, 'sim');
    assert.deepEqual(r.main.sim?.nics, [
      { name: 'vfd', ports: 1, totalVfs: 32, linkSpeedMbps: 25000 },
    ]);
    assert.deepEqual(
      r.main.pfs?.map((p) => [p.pf, p.eswitchMode]),
      [['sim:vfd/0', 'switchdev']],
    );
    assert.equal(r.vfs[0].pf, 'sim:vfd/0');
    assert.ok(r.notes.some((n) => n.key === '0000:08:00.0' && /sim:vfd\/0/.test(n.note)));
  });

  it('names VFs safely and uniquely, and notes unresolvable mirrors', () => {
    const r = importVfd(cfg, [
      {
        file: 'x.json',
        data: {
          name: 'VM 1/..',
          pciid: '0000:08:00.0',
          vfid: 0,
          vlans: [5],
          mirror: { target: 9, direction: 'out' },
        },
      },
      { file: 'y.json', data: { name: 'VM 1/..', pciid: '0000:08:00.0', vfid: 1, vlans: [5] } },
      { file: 'zz.json', data: { pciid: '0000:08:00.0', vfid: 2, vlans: [5] } },
    ]);
    assert.deepEqual(
      r.vfs.map((v) => v.name),
      ['VM-1-..', 'VM-1-..-2', 'zz'],
    );
    assert.ok(
      r.notes.some(
        (n) =>
          n.file === 'x.json' &&
          n.key === 'mirror' &&
          /target vfid 9 .* has no VF file/.test(n.note),
      ),
    );
  });

  it('turns a callback into an argv only without shell syntax', () => {
    assert.deepEqual(shellToArgv(' /usr/bin/hot_plug  vm-1 '), {
      argv: ['/usr/bin/hot_plug', 'vm-1'],
    });
    for (const [cmd, why] of [
      ['/bin/a | b', '"|"'],
      ['/bin/a $HOME', '"$"'],
      ["/bin/a 'x y'", `"'"`],
      ['/bin/a > /tmp/log', '">"'],
    ]) {
      const r = shellToArgv(cmd);
      assert.ok(
        'reason' in r && r.reason.startsWith(`it uses shell syntax (${why})`),
        `${cmd}: ${JSON.stringify(r)}`,
      );
    }
    assert.deepEqual(shellToArgv('hot_plug x'), {
      reason: '"hot_plug" is not an absolute path; hooks are not looked up in PATH',
    });
  });
});
