import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  attrTable,
  nest,
  readStr,
  strAttr,
  u8Attr,
  u32Attr,
} from '../../../src/drivers/linux/netlink/attr.js';
import {
  decodeLinkInfo,
  IFLA_BOND_AD_LACP_RATE,
  IFLA_BOND_MIIMON,
  IFLA_BOND_MODE,
  IFLA_BOND_SLAVE_LINK_FAILURE_COUNT,
  IFLA_BOND_SLAVE_MII_STATUS,
  IFLA_BOND_SLAVE_STATE,
  IFLA_BOND_XMIT_HASH_POLICY,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_DATA,
  IFLA_INFO_SLAVE_KIND,
  IFLA_LINKINFO,
  IFLA_MASTER,
  NLM_F_CREATE,
  NLM_F_EXCL,
  newBondRequest,
  RTM_NEWLINK,
  setMasterRequest,
  setUpRequest,
} from '../../../src/drivers/linux/netlink/bond.js';

const HDR = 16 + 16; // nlmsghdr + ifinfomsg

describe('linux netlink: bonds', () => {
  it('creates a bond with mode, miimon, hash and LACP rate (ip link add … type bond …)', () => {
    const msg = newBondRequest('bond0', {
      mode: '802.3ad',
      miimon: 100,
      xmitHashPolicy: 'layer3+4',
      lacpRate: 'fast',
    });
    assert.equal(msg.readUInt32LE(0), msg.length);
    assert.equal(msg.readUInt16LE(4), RTM_NEWLINK);
    assert.equal(msg.readUInt16LE(6) & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
    const top = attrTable(msg, HDR);
    assert.equal(readStr(top.get(IFLA_IFNAME)), 'bond0');
    const info = attrTable(top.get(IFLA_LINKINFO) as Buffer);
    assert.equal(readStr(info.get(IFLA_INFO_KIND)), 'bond');
    const data = attrTable(info.get(IFLA_INFO_DATA) as Buffer);
    assert.equal(data.get(IFLA_BOND_MODE)?.[0], 4, 'BOND_MODE_8023AD');
    assert.equal(data.get(IFLA_BOND_MIIMON)?.readUInt32LE(0), 100);
    assert.equal(data.get(IFLA_BOND_XMIT_HASH_POLICY)?.[0], 1, 'BOND_XMIT_POLICY_LAYER34');
    assert.equal(data.get(IFLA_BOND_AD_LACP_RATE)?.[0], 1);
  });

  it('leaves out the options a mode ignores', () => {
    const msg = newBondRequest('bond1', {
      mode: 'active-backup',
      miimon: 50,
      xmitHashPolicy: 'layer2',
      lacpRate: 'slow',
    });
    const top = attrTable(msg, HDR);
    const data = attrTable(
      attrTable(top.get(IFLA_LINKINFO) as Buffer).get(IFLA_INFO_DATA) as Buffer,
    );
    assert.deepEqual([...data.keys()].sort(), [IFLA_BOND_MODE, IFLA_BOND_MIIMON]);
    assert.equal(data.get(IFLA_BOND_MODE)?.[0], 1);
  });

  it('enslaves by IFLA_MASTER and sets a link up through the change mask', () => {
    const m = setMasterRequest(7, 9);
    assert.equal(m.readInt32LE(16 + 4), 7);
    assert.equal(attrTable(m, HDR).get(IFLA_MASTER)?.readUInt32LE(0), 9);
    const down = setUpRequest(7, false);
    assert.equal(down.readUInt32LE(16 + 8), 0, 'flags');
    assert.equal(down.readUInt32LE(16 + 12), 1, 'change: IFF_UP');
  });

  it('reads a bond and a member from IFLA_LINKINFO', () => {
    const bond = decodeLinkInfo(
      Buffer.concat([
        strAttr(IFLA_INFO_KIND, 'bond'),
        nest(IFLA_INFO_DATA, [
          u8Attr(IFLA_BOND_MODE, 2),
          u32Attr(IFLA_BOND_MIIMON, 100),
          u8Attr(IFLA_BOND_XMIT_HASH_POLICY, 2),
        ]),
      ]),
    );
    assert.deepEqual(bond.bond, {
      mode: 'balance-xor',
      rawMode: 2,
      miimon: 100,
      xmitHashPolicy: 'layer2+3',
      lacpRate: 'slow',
      activeSlave: 0,
      primary: 0,
    });
    const rr = decodeLinkInfo(
      Buffer.concat([
        strAttr(IFLA_INFO_KIND, 'bond'),
        nest(IFLA_INFO_DATA, [u8Attr(IFLA_BOND_MODE, 0)]),
      ]),
    );
    assert.equal(rr.bond?.mode, undefined, 'balance-rr is no mode nicvisor builds');
    const member = decodeLinkInfo(
      Buffer.concat([
        strAttr(IFLA_INFO_SLAVE_KIND, 'bond'),
        nest(IFLA_INFO_SLAVE_DATA, [
          u8Attr(IFLA_BOND_SLAVE_STATE, 1),
          u8Attr(IFLA_BOND_SLAVE_MII_STATUS, 2),
          u32Attr(IFLA_BOND_SLAVE_LINK_FAILURE_COUNT, 3),
        ]),
      ]),
    );
    assert.deepEqual(member.bondSlave, { active: false, miiUp: false, linkFailures: 3 });
    assert.deepEqual(decodeLinkInfo(undefined), {});
  });
});
