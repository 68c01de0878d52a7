import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Claim } from '../../../src/model/index.js';
import { judgePort, parsePort } from '../../../src/policy/pools/libvirt-hook.js';

/** What libvirt writes on the hook's stdin for a hostdev network port (virNetworkPortDefFormat). */
const hookData = (owner: string, mac: string, fn: string) => `<hookData>
  <network>
    <name>nicvisor-vms</name>
    <forward mode='hostdev' managed='yes'>
      <address type='pci' domain='0x0000' bus='0x08' slot='0x10' function='0x0'/>
    </forward>
  </network>
  <networkport>
    <uuid>b8e3ea4a-8b6c-4f84-8f4c-1f1b1a6f0e11</uuid>
    <owner>
      <name>${owner}</name>
      <uuid>7c2f0f8e-3d6a-4a77-9c53-3ef9b6a1c0de</uuid>
    </owner>
    <mac address='${mac}'/>
    <plug type='hostdev-pci' managed='yes'>
      <driver name='vfio'/>
      <address domain='0x0000' bus='0x08' slot='0x10' function='${fn}'/>
    </plug>
  </networkport>
</hookData>`;

const claim = (id: string, owner: string, pciAddr: string, mac: string): Claim =>
  ({
    id,
    pool: 'vms',
    pf: '0000:08:00.0',
    vf: 0,
    pciAddr,
    owner: { kind: 'vm', id: owner },
    mac,
    since: '',
    fence: 1,
    policy: `claim-${id}`,
    state: 'active',
  }) as Claim;

describe('libvirt network hook', () => {
  const claims = [
    claim('vms-1', 'g1', '0000:08:10.2', '02:00:00:00:01:01'),
    claim('vms-2', 'g2', '0000:08:10.4', '02:00:00:00:01:02'),
  ];

  it('reads owner, MAC and VF address from libvirt’s hook data', () => {
    assert.deepEqual(parsePort('nicvisor-vms', hookData('g1', '02:00:00:00:01:01', '0x2')), {
      network: 'nicvisor-vms',
      owner: 'g1',
      mac: '02:00:00:00:01:01',
      pciAddr: '0000:08:10.2',
    });
  });

  it('allows the port of a claim, vetoes another VF, a stranger and a wrong MAC, each saying why', () => {
    const ok = judgePort(
      'port-created',
      parsePort('nicvisor-vms', hookData('g1', '02:00:00:00:01:01', '0x2')),
      claims,
    );
    assert.equal(ok.allow, true);
    const other = judgePort(
      'port-created',
      parsePort('nicvisor-vms', hookData('g1', '02:00:00:00:01:01', '0x4')),
      claims,
    );
    assert.equal(other.allow, false);
    assert.match(other.reason, /VF 0000:08:10.4 is claimed by vm:g2 \(claim vms-2\)/);
    const stranger = judgePort(
      'port-created',
      parsePort('nicvisor-vms', hookData('g9', '02:00:00:00:01:09', '0x6')),
      claims,
    );
    assert.equal(stranger.allow, false);
    assert.match(
      stranger.reason,
      /it has no claim in pool vms; claim first \(nicvisor claim vms --owner vm:g9\)/,
    );
    const mac = judgePort(
      'port-created',
      parsePort('nicvisor-vms', hookData('g1', '02:00:00:00:01:99', '0x2')),
      claims,
    );
    assert.equal(mac.allow, false);
    assert.match(mac.reason, /asks for MAC 02:00:00:00:01:99 .* has 02:00:00:00:01:01/);
  });

  it('port-deleted releases the claim; other networks and operations are not its business', () => {
    const del = judgePort(
      'port-deleted',
      parsePort('nicvisor-vms', hookData('g1', '02:00:00:00:01:01', '0x2')),
      claims,
    );
    assert.deepEqual([del.allow, del.allow && del.release], [true, 'vms-1']);
    assert.equal(
      judgePort(
        'port-created',
        parsePort('default', hookData('g9', '02:00:00:00:01:09', '0x6')),
        claims,
      ).allow,
      true,
    );
    assert.equal(judgePort('started', parsePort('nicvisor-vms', ''), claims).allow, true);
  });
});
