import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VfInfo } from '../../../src/drivers/linux/netlink/vf-decode.js';

/** The repository root (tests run from dist/, fixtures stay in test/fixtures/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test file');
    dir = up;
  }
  return dir;
}

/** Bytes of test/fixtures/netlink/NAME.hex (lines starting with # are comments). */
export function hexFixture(name: string): Buffer {
  const text = readFileSync(join(repoRoot(), 'test/fixtures/netlink', `${name}.hex`), 'utf8');
  const hex = text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('')
    .replace(/\s+/g, '');
  return Buffer.from(hex, 'hex');
}

/**
 * iproute2 sends RTM_NEWLINK (16) for `ip link set … vf`, we send RTM_SETLINK (19); it uses
 * a clock-based sequence number. Everything else must be byte-identical, so the expected
 * bytes get our type and seq and are then compared whole.
 */
export function asOurs(iproute2: Buffer, type: number, seq: number, flags?: number): Buffer {
  const b = Buffer.from(iproute2);
  b.writeUInt16LE(type, 4);
  if (flags !== undefined) b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq, 8);
  return b;
}

/** A VF as the kernel reports it: the given MAC and VLAN, spoofchk on, nothing else set. */
export function vfInfo(vf: number, vlan = 0, mac = '00:00:00:00:00:00'): VfInfo {
  return {
    vf,
    mac,
    vlan,
    qos: 0,
    vlanProto: '802.1Q',
    spoofchk: true,
    trust: false,
    linkState: 'auto',
    minTxRate: 0,
    maxTxRate: 0,
  };
}
