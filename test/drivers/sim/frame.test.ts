import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildFrame, macToNum, numToMac, type TagSpec } from '../../../src/drivers/sim/build.js';
import { FrameScratch } from '../../../src/drivers/sim/copy.js';
import { FrameView, insertTag, parseFrame, stripTag } from '../../../src/drivers/sim/frame.js';

const CASES: { name: string; tags: TagSpec[]; want: Partial<FrameView> }[] = [
  { name: 'Ethernet II', tags: [], want: { outerTpid: 0, innerTpid: 0, headerLen: 14 } },
  {
    name: '802.1Q',
    tags: [{ vid: 100, pcp: 5 }],
    want: { outerTpid: 0x8100, outerVid: 100, outerPcp: 5, innerTpid: 0, headerLen: 18 },
  },
  {
    name: '802.1ad',
    tags: [{ proto: '802.1ad', vid: 4094 }],
    want: { outerTpid: 0x88a8, outerVid: 4094, innerTpid: 0, headerLen: 18 },
  },
  {
    name: 'QinQ (S-tag over C-tag)',
    tags: [{ proto: '802.1ad', vid: 10, pcp: 7 }, { vid: 20 }],
    want: {
      outerTpid: 0x88a8,
      outerVid: 10,
      outerPcp: 7,
      innerTpid: 0x8100,
      innerVid: 20,
      headerLen: 22,
    },
  },
  {
    name: 'double 802.1Q',
    tags: [{ vid: 1 }, { vid: 2 }],
    want: { outerTpid: 0x8100, outerVid: 1, innerTpid: 0x8100, innerVid: 2, headerLen: 22 },
  },
];

for (const c of CASES) {
  test(`parse: ${c.name}`, () => {
    const f = buildFrame({
      dst: 'ff:ff:ff:ff:ff:ff',
      src: '02:00:00:00:00:01',
      tags: c.tags,
      etherType: 0x86dd,
    });
    const v = new FrameView();
    assert.equal(parseFrame(f, f.length, v), true);
    for (const [k, want] of Object.entries(c.want)) assert.equal(v[k as keyof FrameView], want, k);
    assert.equal(v.etherType, 0x86dd);
    assert.deepEqual(
      [v.dstHi, v.dstLo, v.srcHi, v.srcLo],
      [0xffffff, 0xffffff, 0x020000, 0x000001],
    );
  });
}

test('parse: runts are refused, even when the buffer behind them is longer', () => {
  const v = new FrameView();
  const tagged = buildFrame({
    dst: '02:00:00:00:00:01',
    src: '02:00:00:00:00:02',
    tags: [{ vid: 1 }, { vid: 2 }],
  });
  assert.equal(parseFrame(tagged, 13, v), false);
  assert.equal(parseFrame(tagged, 17, v), false, 'cut inside the first tag');
  assert.equal(parseFrame(tagged, 21, v), false, 'cut inside the second tag');
  assert.equal(parseFrame(tagged, tagged.length + 1, v), false, 'length past the buffer');
});

test('MAC strings and numbers round-trip', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (n) => macToNum(numToMac(n)) === n),
  );
  assert.throws(() => macToNum('02:00:00:00:00'), /not a MAC address/);
});

test('insertTag then stripTag gives the original frame back (property)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 14, maxLength: 1600 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 7 }),
      (bytes, tci, shift) => {
        // Any alignment in its ArrayBuffer: word copies where aligned, bytes elsewhere.
        const src = Buffer.from(new Uint8Array([...new Array(shift).fill(0), ...bytes])).subarray(
          shift,
        );
        const tagged = new FrameScratch(src.length + 4);
        assert.equal(insertTag(src, src.length, 0x88a8, tci, tagged), src.length + 4);
        const t = tagged.buf.subarray(0, src.length + 4);
        assert.equal(t.readUInt16BE(12), 0x88a8);
        assert.equal(t.readUInt16BE(14), tci);
        const back = new FrameScratch(src.length);
        assert.equal(stripTag(t, t.length, back), src.length);
        assert.deepEqual(back.buf.subarray(0, src.length), src);
      },
    ),
  );
});
