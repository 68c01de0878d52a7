// The netlink transport against the host's own kernel: only harmless requests (read the
// loopback link, ask for a link that does not exist).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NETLINK_ROUTE, RTNLGRP_LINK } from '../../../src/drivers/linux/netlink/constants.js';
import { decodeLink } from '../../../src/drivers/linux/netlink/link-decode.js';
import {
  dumpLinksRequest,
  getLinkRequest,
  setMtuRequest,
} from '../../../src/drivers/linux/netlink/link-request.js';
import { NetlinkListener, NetlinkSocket } from '../../../src/drivers/linux/netlink/transport.js';

describe('NetlinkSocket on the host kernel', () => {
  it('pipelines 300 requests in batches and matches every answer', async () => {
    const s = new NetlinkSocket(NETLINK_ROUTE);
    await s.open();
    try {
      const replies = await s.request(
        Array.from({ length: 300 }, () => getLinkRequest({ index: 1, stats: false })),
      );
      assert.equal(replies.length, 300);
      for (const r of replies) {
        assert.equal(r.ack.errno, 0);
        assert.equal(r.messages.length, 1);
        assert.equal(decodeLink(r.messages[0].payload).name, 'lo');
      }
      assert.equal(new Set(replies.map((r) => r.seq)).size, 300);
    } finally {
      await s.close();
    }
  });

  it('reports the errno of a refused request without failing the others', async () => {
    const s = new NetlinkSocket(NETLINK_ROUTE);
    await s.open();
    try {
      const [ok, bad, dump] = await s.request([
        getLinkRequest({ index: 1, stats: true }),
        setMtuRequest(0x7ffffff0, 1500),
        dumpLinksRequest(false),
      ]);
      assert.equal(ok.ack.errno, 0);
      assert.equal(bad.ack.errno, 19); // ENODEV
      assert.equal(dump.ack.errno, 0);
      assert.ok(dump.messages.some((m) => decodeLink(m.payload).name === 'lo'));
    } finally {
      await s.close();
    }
  });

  it('brings an answer too big for the shared buffer by message, whole', async () => {
    const small = new NetlinkSocket(NETLINK_ROUTE, 5000, { request: 1024, answer: 256 });
    const big = new NetlinkSocket(NETLINK_ROUTE);
    await small.open();
    await big.open();
    try {
      const [a] = await small.request([dumpLinksRequest(true)]);
      const [b] = await big.request([dumpLinksRequest(true)]);
      assert.equal(a.ack.errno, 0);
      assert.ok(a.messages.length > 0);
      assert.deepEqual(
        a.messages.map((m) => decodeLink(m.payload).name),
        b.messages.map((m) => decodeLink(m.payload).name),
      );
      // The channel still works after the fallback.
      const [lo] = await small.request([getLinkRequest({ index: 1, stats: false })]);
      assert.equal(decodeLink(lo.messages[0].payload).name, 'lo');
    } finally {
      await small.close();
      await big.close();
    }
  });

  it('refuses a request larger than its buffer, naming the size and the fix', async () => {
    const s = new NetlinkSocket(NETLINK_ROUTE, 5000, { request: 64, answer: 4096 });
    await s.open();
    try {
      await assert.rejects(
        s.request([
          getLinkRequest({ index: 1, stats: false }),
          getLinkRequest({ name: 'lo', stats: false }),
        ]),
        /request of \d+ bytes does not fit the worker's 64-byte request buffer; fix: send it in smaller parts/,
      );
      const [lo] = await s.request([getLinkRequest({ index: 1, stats: false })]);
      assert.equal(lo.ack.errno, 0);
    } finally {
      await s.close();
    }
  });

  it('refuses requests before open()', async () => {
    const s = new NetlinkSocket(NETLINK_ROUTE);
    await assert.rejects(s.request([getLinkRequest({ index: 1, stats: false })]), /not open/);
  });
});

describe('NetlinkListener', () => {
  it('starts and stops its worker', async () => {
    const l = new NetlinkListener(NETLINK_ROUTE, [RTNLGRP_LINK]);
    await l.start(
      () => {},
      () => {},
    );
    const t0 = Date.now();
    await l.stop();
    assert.ok(Date.now() - t0 < 1500);
  });
});
