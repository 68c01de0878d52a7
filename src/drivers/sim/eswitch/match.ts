import type { CompiledMatch, MacBytes } from './compiled.js';

function macMatches(m: MacBytes, buf: Buffer, at: number): boolean {
  const v = m.value;
  const k = m.mask;
  for (let i = 0; i < 6; i++) if ((buf[at + i] & k[i]) !== (v[i] & k[i])) return false;
  return true;
}

function isVlanType(t: number): boolean {
  return t === 0x8100 || t === 0x88a8;
}

function tagMatches(buf: Buffer, at: number, id: number, prio: number, nextType: number): boolean {
  if (id !== -1 && (((buf[at] & 0x0f) << 8) | buf[at + 1]) !== id) return false;
  if (prio !== -1 && buf[at] >> 5 !== prio) return false;
  return nextType === -1 || ((buf[at + 2] << 8) | buf[at + 3]) === nextType;
}

/**
 * Does a flower match fit the frame as it is now (after earlier pushes and pops)? The
 * outer tag sits at bytes 12-17 (TPID, TCI, next ethertype), the inner one at 16-21.
 */
export function matches(m: CompiledMatch, buf: Buffer, len: number): boolean {
  const outer = (buf[12] << 8) | buf[13];
  if (m.protocol !== -1 && outer !== m.protocol) return false;
  if (m.dst !== null && !macMatches(m.dst, buf, 0)) return false;
  if (m.src !== null && !macMatches(m.src, buf, 6)) return false;
  if (m.vlanId === -1 && m.vlanPrio === -1 && m.vlanEthType === -1) return true;
  if (len < 18 || !isVlanType(outer)) return false;
  if (!tagMatches(buf, 14, m.vlanId, m.vlanPrio, m.vlanEthType)) return false;
  if (m.cvlanId === -1 && m.cvlanPrio === -1 && m.cvlanEthType === -1) return true;
  if (len < 22 || !isVlanType((buf[16] << 8) | buf[17])) return false;
  return tagMatches(buf, 18, m.cvlanId, m.cvlanPrio, m.cvlanEthType);
}
