import type { EswitchPort, RuleAction } from '../../model/index.js';

/** One port a frame is sent to, and whether the tag it carries must come off first. */
export interface Delivery {
  to: EswitchPort;
  /** Remove the outer tag before this delivery (the receiver's own tag, stripped). */
  pop: boolean;
  /** Where a monitoring copy of what `to` receives goes (mirror `in`/`all` of that VF). */
  monitor: EswitchPort | null;
}

/** A monitoring copy of what a VF sends (mirror `out`/`all`), made where it is switched. */
export interface SentCopy {
  to: EswitchPort;
  of: EswitchPort;
}

/**
 * The actions that send one frame to every delivery: the sender's monitoring copy (the
 * frame as it left, only when it goes somewhere), then the ports that take it as it is,
 * then one `vlan pop` and the ports that take it untagged, each followed by its monitoring
 * copy (the frame as that VF got it). The last copy is a redirect, since mirred mirror
 * never ends an action list; no delivery at all is a drop.
 */
export function deliveryActions(
  deliveries: readonly Delivery[],
  sent: SentCopy | null = null,
): RuleAction[] {
  const out: RuleAction[] = [];
  if (sent && deliveries.length > 0) {
    out.push({ kind: 'mirror', to: sent.to, counter: 'mirrored', of: sent.of });
  }
  const asIs = deliveries.filter((d) => !d.pop);
  const popped = deliveries.filter((d) => d.pop);
  const copy = (d: Delivery) => {
    out.push({ kind: 'mirror', to: d.to });
    if (d.monitor) out.push({ kind: 'mirror', to: d.monitor, counter: 'mirrored', of: d.to });
  };
  asIs.forEach(copy);
  if (popped.length > 0) out.push({ kind: 'vlanPop' });
  popped.forEach(copy);
  const last = out.at(-1);
  if (last === undefined || last.kind !== 'mirror') return [...out, { kind: 'drop' }];
  out[out.length - 1] = { ...last, kind: 'redirect' };
  return out;
}
