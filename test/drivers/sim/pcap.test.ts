import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  decodePcap,
  encodePcap,
  type PcapRecord,
  readPcapFile,
  writePcapFile,
} from '../../../src/drivers/sim/pcap.js';
import { replayPcap } from '../../../src/drivers/sim/replay.js';
import { frame, mac, PF, program, rig, tagsOf, WIRE_MAC } from './kit.js';

const RECORDS: PcapRecord[] = [
  { timeNs: 1_700_000_000_123_456_000, data: frame({}) },
  { timeNs: 1_700_000_000_223_456_000, data: frame({ size: 1514, tags: [{ vid: 5 }] }) },
  { timeNs: 1_700_000_001_000_000_000, data: frame({ size: 60 }) },
];

test('pcap: µs round trip keeps bytes and times', () => {
  const file = decodePcap(encodePcap(RECORDS));
  assert.equal(file.linkType, 1);
  assert.equal(file.nanosecond, false);
  assert.deepEqual(file.records, RECORDS);
});

test('pcap: ns round trip keeps nanoseconds', () => {
  const recs = [{ timeNs: 1_000_000_007, data: frame({}) }];
  const file = decodePcap(encodePcap(recs, { nanosecond: true }));
  assert.equal(file.nanosecond, true);
  assert.deepEqual(file.records, recs);
});

test('pcap: snaplen truncates and keeps the original length', () => {
  const file = decodePcap(encodePcap(RECORDS, { snaplen: 100 }));
  assert.equal(file.records[1].data.length, 100);
  assert.equal(file.records[1].origLen, 1514);
  assert.equal(file.records[0].origLen, undefined);
});

test('pcap: reads a big-endian file as written by a big-endian tcpdump', () => {
  const data = frame({});
  const buf = Buffer.alloc(24 + 16 + data.length);
  buf.writeUInt32BE(0xa1b2c3d4, 0);
  buf.writeUInt16BE(2, 4);
  buf.writeUInt16BE(4, 6);
  buf.writeUInt32BE(65535, 16);
  buf.writeUInt32BE(1, 20);
  buf.writeUInt32BE(10, 24);
  buf.writeUInt32BE(5, 28);
  buf.writeUInt32BE(data.length, 32);
  buf.writeUInt32BE(data.length, 36);
  data.copy(buf, 40);
  assert.deepEqual(decodePcap(buf).records, [{ timeNs: 10_000_005_000, data }]);
});

test('pcap: errors say what is wrong and what to do', () => {
  const ng = Buffer.alloc(28);
  ng.writeUInt32LE(0x0a0d0d0a, 0);
  assert.throws(() => decodePcap(ng, 'x.pcapng'), /x\.pcapng: .*pcapng; convert it with `editcap/);
  assert.throws(() => decodePcap(Buffer.alloc(3), 'short'), /too short for a pcap header/);
  const cut = encodePcap(RECORDS).subarray(0, 24 + 16 + 10);
  assert.throws(() => decodePcap(cut, 'cut'), /cut: record at byte 24 claims 64 bytes/);
});

test('pcap: files on disk, and non-Ethernet link types are refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-pcap-'));
  try {
    const path = join(dir, 'a.pcap');
    await writePcapFile(path, RECORDS);
    assert.deepEqual((await readPcapFile(path)).records, RECORDS);
    const sll = encodePcap(RECORDS);
    sll.writeUInt32LE(113, 20);
    await writeFile(join(dir, 'sll.pcap'), sll);
    await assert.rejects(readPcapFile(join(dir, 'sll.pcap')), /link type 113 is not Ethernet/);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('replay: a capture through a policy shows what the NIC lets out, with the original times', () => {
  const { nic } = rig(2);
  program(nic, 0, { macAntiSpoof: true, vlans: [100], vlanQoS: 2, maxTxRate: 1 });
  program(nic, 1, { vlans: [100] });
  const t0 = 1_700_000_000_000_000_000;
  const good = frame({ src: mac(0), dst: WIRE_MAC, size: 1000 });
  const spoofed = frame({ src: '02:66:00:00:00:01', dst: WIRE_MAC });
  const toPeer = frame({ src: mac(0), dst: mac(1) });
  const records: PcapRecord[] = [
    { timeNs: t0, data: good },
    { timeNs: t0 + 1_000, data: spoofed },
    { timeNs: t0 + 2_000, data: toPeer },
    // 1 Mbps: the burst (one jumbo frame, 9242 B) lets 8 more through; 100 ms later there is room.
    ...Array.from({ length: 9 }, (_, i) => ({ timeNs: t0 + 3_000 + i, data: good })),
    { timeNs: t0 + 100_000_000, data: good },
  ];
  const result = replayPcap(nic, records, { pf: PF, from: 0 });
  assert.deepEqual(result.verdicts, { sent: 11, spoofed: 1, 'rate-limited': 1 });
  assert.equal(result.wire.length, 10);
  assert.ok(result.wire.every((r) => tagsOf(r.data)[0] === '8100/100/2'));
  assert.equal(result.wire[0].timeNs, t0);
  assert.equal(result.wire.at(-1)!.timeNs, t0 + 100_000_000);
  assert.equal(result.vfs.get(1)?.length, 1, 'the loopback frame reached VF 1');
  assert.equal(nic.pf(PF).vf(1).captures, null, 'replay captures are detached');
});
