import {
  type CounterRole,
  type EswitchPort,
  type EswitchRule,
  etherTypeValue,
  portVf,
  type RuleAction,
  type RuleMatch,
} from '../../../model/index.js';
import { RX_DROPPED, RX_ERRORS, SPOOFED, TX_DROPPED, TX_ERRORS } from '../counters.js';
import { tci, tpidOf } from '../frame.js';
import { TokenBucket } from '../qos.js';

/**
 * Rules turned into what the interpreter reads per frame: numbers instead of strings, MACs
 * as byte arrays, a bucket per police action, counters per rule. Built once per install.
 */

/** A MAC match as value and mask bytes. */
export interface MacBytes {
  value: Uint8Array;
  mask: Uint8Array;
}

export interface CompiledMatch {
  /** Outer ethertype, or -1 for `all`; -1 below likewise means "any". */
  protocol: number;
  dst: MacBytes | null;
  src: MacBytes | null;
  vlanId: number;
  vlanPrio: number;
  vlanEthType: number;
  cvlanId: number;
  cvlanPrio: number;
  cvlanEthType: number;
}

/** Where a copy goes: a VF index, or -1 for the uplink and -2 for the host interface. */
export const TO_UPLINK = -1;
export const TO_HOST = -2;
/** `monitorOf` of a copy that is a delivery, not a monitoring copy. */
export const NOT_MONITOR = -3;

export type CompiledAction =
  | { kind: 'push'; tpid: number; tci: number }
  | { kind: 'pop' }
  /** `monitorOf`: the VF whose `mirrored` a monitoring copy counts in, else NOT_MONITOR. */
  | { kind: 'copy'; to: number; final: boolean; monitorOf: number }
  | { kind: 'drop' }
  | { kind: 'police'; bucket: TokenBucket }
  | { kind: 'mtu'; max: number }
  | { kind: 'goto'; chain: number };

export interface CompiledRule {
  rule: EswitchRule;
  match: CompiledMatch;
  actions: CompiledAction[];
  /** Index into the owner VF's counters that this rule's drops feed, or -1. */
  counter: number;
  ownerVf: number;
  packets: number;
  bytes: number;
  drops: number;
}

const COUNTER_INDEX: Record<CounterRole, number> = {
  spoofed: SPOOFED,
  txDropped: TX_DROPPED,
  txErrors: TX_ERRORS,
  rxDropped: RX_DROPPED,
  rxErrors: RX_ERRORS,
};

function macBytes(m: string | undefined): MacBytes | null {
  if (m === undefined) return null;
  const [value, mask = 'ff:ff:ff:ff:ff:ff'] = m.split('/');
  const bytes = (s: string) => Uint8Array.from(s.split(':').map((h) => Number.parseInt(h, 16)));
  return { value: bytes(value), mask: bytes(mask) };
}

function num(v: number | undefined): number {
  return v ?? -1;
}

function compileMatch(m: RuleMatch): CompiledMatch {
  const type = (t: RuleMatch['vlanEthType']) => (t === undefined ? -1 : etherTypeValue(t));
  return {
    protocol: m.protocol === 'all' ? -1 : etherTypeValue(m.protocol),
    dst: macBytes(m.dstMac),
    src: macBytes(m.srcMac),
    vlanId: num(m.vlanId),
    vlanPrio: num(m.vlanPrio),
    vlanEthType: type(m.vlanEthType),
    cvlanId: num(m.cvlanId),
    cvlanPrio: num(m.cvlanPrio),
    cvlanEthType: type(m.cvlanEthType),
  };
}

export function portIndex(p: EswitchPort): number {
  return p === 'uplink' ? TO_UPLINK : p === 'host' ? TO_HOST : portVf(p)!;
}

function compileAction(a: RuleAction, owner: number, nowNs: number): CompiledAction {
  switch (a.kind) {
    case 'vlanPush':
      return { kind: 'push', tpid: tpidOf(a.proto), tci: tci(a.id, a.prio) };
    case 'vlanPop':
      return { kind: 'pop' };
    case 'mirror':
    case 'redirect':
      return {
        kind: 'copy',
        to: portIndex(a.to),
        final: a.kind === 'redirect',
        monitorOf: a.counter ? (a.of ? portIndex(a.of) : owner) : NOT_MONITOR,
      };
    case 'drop':
      return { kind: 'drop' };
    case 'police':
      return { kind: 'police', bucket: new TokenBucket(a.rateMbps, nowNs, a.burstBytes) };
    case 'policeMtu':
      return { kind: 'mtu', max: a.mtu };
    case 'goto':
      return { kind: 'goto', chain: a.chain };
  }
}

export function compileRule(r: EswitchRule, nowNs: number): CompiledRule {
  return {
    rule: r,
    match: compileMatch(r.match),
    actions: r.actions.map((a) => compileAction(a, r.owner === 'pf' ? -1 : r.owner.vf, nowNs)),
    counter: r.counter ? COUNTER_INDEX[r.counter] : -1,
    ownerVf: r.owner === 'pf' ? -1 : r.owner.vf,
    packets: 0,
    bytes: 0,
    drops: 0,
  };
}
