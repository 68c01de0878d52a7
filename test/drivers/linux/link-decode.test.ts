// Decoding what the kernel really sent (captured from iproute2 in the lab VM, see
// test/fixtures/netlink) and synthetic PFs with 256 VFs whose VF list passes 64 KiB.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { attr } from '../../../src/drivers/linux/netlink/attr.js';
import {
  IFLA_VF_MAC,
  IFLA_VF_STATS,
  IFLA_VF_STATS_RX_BYTES,
  IFLA_VF_STATS_TX_BYTES,
  IFLA_VF_VLAN,
} from '../../../src/drivers/linux/netlink/constants.js';
import { decodeLink } from '../../../src/drivers/linux/netlink/link-decode.js';
import {
  decodeAck,
  NetlinkError,
  splitMessages,
} from '../../../src/drivers/linux/netlink/message.js';
import { decodeVfInfo } from '../../../src/drivers/linux/netlink/vf-decode.js';
import type { IpVf } from '../../lab/vm/helpers.js';
import { hexFixture, repoRoot } from './fixtures.js';
import { kernelPfMessage } from './synthetic.js';

function onlyMessage(name: string) {
  const msgs = [...splitMessages(hexFixture(name))];
  assert.equal(msgs.length, 1);
  return msgs[0];
}

describe('decodeLink on kernel output', () => {
  it('reads the 4 netdevsim VFs the same as `ip -d -j link show` does', () => {
    const link = decodeLink(onlyMessage('show-sd.answer').payload);
    const ip = JSON.parse(
      readFileSync(join(repoRoot(), 'test/fixtures/netlink/show-d.ip-json.txt'), 'utf8'),
    ) as Array<{ ifname: string; mtu: number; vfinfo_list: IpVf[] }>;
    assert.equal(link.name, ip[0].ifname);
    assert.equal(link.mtu, ip[0].mtu);
    assert.equal(link.numVfs, 4);
    assert.equal(link.parentBus, 'netdevsim');
    assert.equal(link.parentDev, 'netdevsim10');
    assert.equal(link.maxMtu, 65535);
    for (const want of ip[0].vfinfo_list) {
      const got = link.vfs[want.vf];
      const v = want.vlan_list?.[0] ?? {};
      assert.equal(got.mac, want.address);
      assert.equal(got.vlan, v.vlan ?? 0);
      assert.equal(got.qos, v.qos ?? 0);
      assert.equal(got.vlanProto, v.protocol ?? '802.1Q');
      assert.equal(got.maxTxRate, want.rate.max_tx);
      assert.equal(got.minTxRate, want.rate.min_tx);
      assert.equal(got.spoofchk, want.spoofchk);
      assert.equal(got.linkState, want.link_state);
      assert.equal(got.trust, want.trust);
      assert.ok(got.stats, 'stats were asked for');
    }
    assert.equal(link.vfs[3].vlanProto, '802.1ad');
  });

  it('reads all 256 VFs of a real netdevsim PF where iproute2 printed "Truncated VF list"', () => {
    const buf = hexFixture('show-256.answer');
    const link = decodeLink(onlyMessage('show-256.answer').payload);
    assert.ok(buf.length > 65536);
    assert.equal(link.numVfs, 256);
    assert.equal(link.vfs.length, 256);
    assert.deepEqual(
      link.vfs.map((v) => v.vf),
      Array.from({ length: 256 }, (_, i) => i),
    );
    assert.equal(link.vfs[255].mac, '02:00:00:00:00:ff');
    assert.equal(link.vfs[255].vlan, 255);
    assert.equal(link.vfs[255].qos, 5);
    assert.equal(link.vfs[200].trust, true);
    assert.equal(link.vfs[199].trust, false);
  });
});

describe('decodeLink on synthetic PFs', () => {
  it('reads 256 VFs with stats although the list length wrapped past 64 KiB', () => {
    const msg = kernelPfMessage(256, true);
    assert.ok(msg.length > 65536, `message is ${msg.length} bytes`);
    const link = decodeLink([...splitMessages(msg)][0].payload);
    assert.equal(link.vfs.length, 256);
    const v = link.vfs[250];
    assert.equal(v.vf, 250);
    assert.equal(v.mac, '02:00:00:00:00:fa');
    assert.equal(v.vlan, 251);
    assert.equal(v.qos, 2);
    assert.equal(v.maxTxRate, 2500);
    assert.equal(v.spoofchk, false);
    assert.equal(v.linkState, 'enable'); // 250 % 3 = 1
    assert.deepEqual(v.stats, {
      rxPackets: 250001,
      txPackets: 250002,
      rxBytes: 250003,
      txBytes: 250004,
      broadcast: 5,
      multicast: 6,
      rxDropped: 7,
      txDropped: 8,
    });
    assert.equal(link.name, 'pf0');
  });

  it('a decoder that trusts the wrapped length would have lost VFs (the fixture really wraps)', () => {
    const msg = kernelPfMessage(256, true);
    const listOff = msg.indexOf(Buffer.from([0x16, 0x00]), 16 + 16) - 2;
    const declared = msg.readUInt16LE(listOff);
    assert.ok(declared < 65536 && declared < msg.length - listOff - 100);
  });

  it('fits 256 VFs under 64 KiB without stats', () => {
    const msg = kernelPfMessage(256, false);
    assert.ok(msg.length < 65536);
    assert.equal(decodeLink([...splitMessages(msg)][0].payload).vfs.length, 256);
  });
});

describe('acks', () => {
  it('EINVAL without text for `vf 0 vlan 10 qos 8`', () => {
    const ack = decodeAck(onlyMessage('err-qos.answer'));
    assert.deepEqual(ack, { errno: 22 });
  });

  it('EINVAL with the kernel extack text for `mtu 70000`', () => {
    const ack = decodeAck(onlyMessage('err-mtu.answer'));
    assert.equal(ack.errno, 22);
    assert.equal(ack.extack, 'mtu greater than device maximum');
    const e = new NetlinkError('eth0: set mtu 70000', ack);
    assert.equal(
      e.message,
      'eth0: set mtu 70000: invalid argument (EINVAL): kernel says "mtu greater than device maximum"',
    );
  });

  it('a plain ACK is errno 0', () => {
    assert.equal(decodeAck(onlyMessage('mac.answer')).errno, 0);
  });
});

describe('decodeVfInfo on odd input', () => {
  const vfMac = (vf: number, last: number) => {
    const b = Buffer.alloc(36);
    b.writeUInt32LE(vf, 0);
    Buffer.from([2, 0, 0, 0, 0, last]).copy(b, 4);
    return attr(IFLA_VF_MAC, b);
  };
  const vfVlan = (vf: number, vlan: number) => {
    const b = Buffer.alloc(12);
    b.writeUInt32LE(vf, 0);
    b.writeUInt32LE(vlan, 4);
    return attr(IFLA_VF_VLAN, b);
  };
  const u64 = (type: number, v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return attr(type, b);
  };

  it('an attribute the previous VF had and this one lacks reads as absent, not as the last one', () => {
    // The decoder keeps its slots between calls (no allocation per VF): they must not leak.
    const stats = attr(IFLA_VF_STATS, u64(IFLA_VF_STATS_RX_BYTES, 5n));
    const first = decodeVfInfo(Buffer.concat([vfMac(0, 1), vfVlan(0, 100), stats]));
    assert.equal(first.vlan, 100);
    assert.equal(first.stats?.rxBytes, 5);
    const second = decodeVfInfo(vfMac(1, 2));
    assert.deepEqual(
      { vf: second.vf, mac: second.mac, vlan: second.vlan, qos: second.qos, stats: second.stats },
      { vf: 1, mac: '02:00:00:00:00:02', vlan: 0, qos: 0, stats: undefined },
    );
  });

  it('reads a u64 counter past 2^32 exactly', () => {
    const big = 2n ** 40n + 12345n;
    const v = decodeVfInfo(
      Buffer.concat([vfMac(3, 3), attr(IFLA_VF_STATS, u64(IFLA_VF_STATS_TX_BYTES, big))]),
    );
    assert.equal(v.stats?.txBytes, Number(big));
    assert.equal(v.stats?.rxBytes, 0);
  });

  it('never throws on a truncated or corrupted VF entry', () => {
    const whole = Buffer.concat([vfMac(7, 7), vfVlan(7, 42)]);
    fc.assert(
      fc.property(
        fc.nat(whole.length),
        fc.array(fc.tuple(fc.nat(whole.length - 1), fc.integer({ min: 0, max: 255 }))),
        (cut, flips) => {
          const b = Buffer.from(whole.subarray(0, cut));
          for (const [i, x] of flips) if (i < b.length) b[i] = x;
          const v = decodeVfInfo(b);
          assert.equal(typeof v.mac, 'string');
        },
      ),
    );
  });
});
