/**
 * What of the fleet's desired state concerns one host: the documents its labels select, in
 * the version a rollout in progress gives that host. Pure: the agent, `fleet plan` and the
 * rollout all decide with these functions, so what the plan shows is what agents apply.
 */
import {
  DEFAULT_NETWORK,
  type FleetDoc,
  HOSTNAME_LABEL,
  type Labels,
  NETWORK_LABEL,
  type PreviousVersion,
  type Selector,
} from '../model/fleet.js';
import { isRecord } from '../model/index.js';

export function selects(selector: Selector, labels: Labels): boolean {
  return Object.entries(selector.matchLabels).every(([k, v]) => labels[k] === v);
}

/** A host's labels with its implicit name label. */
export function hostLabels(host: string, labels: Labels): Labels {
  return { ...labels, [HOSTNAME_LABEL]: host };
}

/** The version of a document one host runs (null: none), a rollout in progress considered. */
export function versionFor(doc: FleetDoc, host: string): PreviousVersion | null {
  const r = doc.rollout;
  if (r && !r.hosts.includes(host)) return r.previous;
  if (doc.deleted) return null;
  return { selector: doc.selector, network: doc.network, policy: doc.policy };
}

export interface HostDoc {
  /** `vf/NAME`, `pf/NAME` or `pool/NAME`: where problems are reported. */
  key: string;
  /** The VF policy's name (kind vf), the PF id (kind pf) or the pool's name, as the policy says. */
  target: string;
  policy: unknown;
  network: string;
}

export interface HostDesired {
  vfs: HostDoc[];
  pfs: HostDoc[];
  pools: HostDoc[];
}

function targetOf(doc: FleetDoc, policy: unknown): string {
  if (!isRecord(policy)) return doc.name;
  const t = doc.kind === 'pf' ? policy.pf : policy.name;
  return typeof t === 'string' ? t : doc.name;
}

/** Every document that selects `host`, in the version it runs, sorted by key. */
export function hostDesired(docs: Iterable<FleetDoc>, host: string, labels: Labels): HostDesired {
  const all = hostLabels(host, labels);
  const out: HostDesired = { vfs: [], pfs: [], pools: [] };
  for (const doc of docs) {
    const v = versionFor(doc, host);
    if (!v || !selects(v.selector, all)) continue;
    const network = v.network ?? all[NETWORK_LABEL] ?? DEFAULT_NETWORK;
    const d = {
      key: `${doc.kind}/${doc.name}`,
      target: targetOf(doc, v.policy),
      policy: v.policy,
      network,
    };
    (doc.kind === 'vf' ? out.vfs : doc.kind === 'pf' ? out.pfs : out.pools).push(d);
  }
  for (const l of [out.vfs, out.pfs, out.pools]) l.sort((a, b) => (a.key < b.key ? -1 : 1));
  return out;
}

/** The MACs a VF policy document asks for, normalised (lower case), if it names any. */
export function docMacs(policy: unknown): string[] {
  if (!isRecord(policy) || !Array.isArray(policy.macs)) return [];
  return policy.macs.filter((m): m is string => typeof m === 'string').map((m) => m.toLowerCase());
}

/** Stable text of a value (object keys sorted), to compare documents and policies. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    isRecord(x) && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );
}
