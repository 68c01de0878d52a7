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
  it('carries QoS over when enable_qos is on: classes by priority, groups, shares', () => {
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
            { priority: 0, share: '10%' },
          ],
          mirror: { target: 3, direction: 'in' },
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
    assert.deepEqual(r.vfs[0].trafficShares, [10, 25]);
    assert.deepEqual(r.vfs[0].mirror, { target: 'b', direction: 'in' });
    assert.equal(r.vfs[0].stripOuterTag, false);
    assert.deepEqual(r.vfs[1].macs, ['fa:16:3e:00:00:0b', 'fa:16:3e:00:00:0c']);
    const keys = r.notes.map((n) => `${n.file}: ${n.key}`);
    for (const k of [
      'vfd.cfg: pciids[0].mtu',
      'vfd.cfg: pciids[0].promiscuous',
      'vfd.cfg: pciids[0].tclasses[pri 1].max_bw',
      'vfd.cfg: pciids[0].tclasses[pri 1].bsp',
      'a.json: allow_un_ucast',
    ]) {
      assert.ok(keys.includes(k), `missing note ${k} in ${keys.join(' / ')}`);
    }
  });

  it('names VFs safely and uniquely, and notes unresolvable mirrors', () => {
    const r = importVfd(cfg, [
      {
        file: 'x.json',
        data: {
          name: 'VM 1/..',
          pciid: '0000:08:00.0',
          vfid: 0,
          mirror: { target: 9, direction: 'out' },
        },
      },
      { file: 'y.json', data: { name: 'VM 1/..', pciid: '0000:08:00.0', vfid: 1 } },
      { file: 'zz.json', data: { pciid: '0000:08:00.0', vfid: 2 } },
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
