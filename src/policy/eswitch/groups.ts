import { accepts, classChain, classLabel, popsFor, type TagClass } from './classes.js';
import type { VfView } from './view.js';

/**
 * Classes that every port treats alike (takes or refuses, strips or not) switch alike, so
 * one forwarding chain serves them all: on a PF of 802.1Q VFs, untagged, priority-tagged and
 * 802.1ad-tagged frames are one group, and a port VLAN only its own. This keeps the rule
 * count near one chain per VLAN in use rather than one per class.
 */
export interface ClassGroup {
  /** The chain of the group: that of its first class (specific VIDs come first). */
  chain: number;
  classes: TagClass[];
  label: string;
}

/** How every port but the sender treats a class: the key that groups classes. */
function behaviour(ports: readonly VfView[], src: VfView | null, c: TagClass): string {
  let key = '';
  for (const x of ports) {
    if (x === src) key += '-';
    else if (!accepts(x, c)) key += 'n';
    else key += popsFor(x, c) ? 'p' : 'a';
  }
  return key;
}

export function groupClasses(
  ports: readonly VfView[],
  src: VfView | null,
  classes: readonly TagClass[],
): ClassGroup[] {
  const byKey = new Map<string, TagClass[]>();
  for (const c of classes) {
    const k = behaviour(ports, src, c);
    const list = byKey.get(k);
    if (list) list.push(c);
    else byKey.set(k, [c]);
  }
  return [...byKey.values()].map((cs) => ({
    chain: Math.min(...cs.map(classChain)),
    classes: cs,
    label: labels(cs),
  }));
}

function labels(cs: readonly TagClass[]): string {
  const all = cs.map(classLabel);
  return all.length <= 3
    ? all.join(', ')
    : `${all.slice(0, 3).join(', ')} and ${all.length - 3} more`;
}
