import {
  isUnicastMac,
  type LinkState,
  type MirrorDirection,
  type VfPolicyInput,
} from '../../model/index.js';
import { asObject, type ImportNote, isCommentKey, type Json, shellToArgv } from './notes.js';

const KNOWN = new Set([
  'name',
  'pciid',
  'vfid',
  'vlans',
  'macs',
  'mac',
  'vm_mac',
  'strip_stag',
  'allow_bcast',
  'allow_mcast',
  'allow_un_ucast',
  'allow_untagged',
  'antispoof_mac',
  'antispoof_vlan',
  'link_status',
  'rate',
  'min_rate',
  'queues',
  'mirror',
  'start_cb',
  'stop_cb',
]);

const LINK: Record<string, LinkState> = { on: 'enable', off: 'disable', auto: 'auto' };

/** A VF file before names and mirror targets are resolved across files. */
export interface ImportedVf {
  file: string;
  policy: VfPolicyInput;
  /** VFd's mirror target (a vfid on the same PF), resolved to a name later. */
  mirror: { target: number; direction: MirrorDirection } | null;
}

type Notes = (key: string, note: string) => void;

function macList(vf: Json, note: Notes): string[] {
  const first = [vf.mac, vf.vm_mac].filter((m): m is string => typeof m === 'string');
  const listed = Array.isArray(vf.macs)
    ? vf.macs.filter((m): m is string => typeof m === 'string')
    : [];
  const out: string[] = [];
  for (const m of [...first, ...listed]) {
    const n = m.trim().toLowerCase();
    if (!isUnicastMac(n)) {
      note(
        `macs: ${m}`,
        'not a unicast MAC (VFd accepted broadcast in its whitelist); dropped — broadcast delivery is allowBroadcast',
      );
    } else if (!out.includes(n)) out.push(n);
  }
  if (first.length === 0 && out.length > 0) {
    note(
      'macs',
      `VFd left the VF's own MAC to the hypervisor; nicvisor programs macs[0] (${out[0]}) as the VF's default MAC — put the MAC the guest boots with first`,
    );
  }
  return out;
}

function rate(v: unknown, key: string, note: Notes): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && v >= 0) {
    if (!Number.isInteger(v)) note(key, `${v} rounded to ${Math.round(v)} Mbps`);
    return Math.round(v);
  }
  note(
    key,
    `${JSON.stringify(v)} is not a rate in Mbps (a percentage needs the link speed); set it by hand`,
  );
  return undefined;
}

function shares(vf: Json, qos: boolean, note: Notes): number[] | undefined {
  if (!Array.isArray(vf.queues)) return undefined;
  if (!qos) {
    note('queues', 'not carried over: enable_qos is off, so VFd ignored the queue shares too');
    return undefined;
  }
  const out: number[] = [];
  for (const raw of vf.queues) {
    const q = asObject(raw);
    const m = typeof q?.share === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(q.share) : null;
    const pri = Number(q?.priority);
    if (!m || !Number.isInteger(pri) || pri < 0 || pri > 7) {
      note('queues', `entry ${JSON.stringify(raw)} is not {priority: 0-7, share: "N%"}; skipped`);
      continue;
    }
    while (out.length < pri) out.push(0);
    out[pri] = Math.round(Number(m[1]));
  }
  return out;
}

function hook(v: unknown, key: string, note: Notes): string[] | undefined {
  if (typeof v !== 'string') return undefined;
  const r = shellToArgv(v);
  if ('argv' in r) return r.argv;
  note(key, `${JSON.stringify(v)} not carried over: ${r.reason}`);
  return undefined;
}

function mirrorOf(v: unknown, note: Notes): ImportedVf['mirror'] {
  const m = asObject(v);
  if (!m) return null;
  const dir = String(m.direction ?? 'all');
  if (dir === 'off') return null;
  if (!['in', 'out', 'all'].includes(dir) || !Number.isInteger(Number(m.target))) {
    note(
      'mirror',
      `${JSON.stringify(v)} is not {target: VFID, direction: in|out|all|off}; not carried over`,
    );
    return null;
  }
  return { target: Number(m.target), direction: dir as MirrorDirection };
}

/** One VFd VF file → a nicvisor VF policy (name not yet made unique or safe). */
export function importVfConfig(
  vf: Json,
  file: string,
  qos: boolean,
  notes: ImportNote[],
): ImportedVf {
  const note: Notes = (key, n) => notes.push({ file, key, note: n });
  for (const k of Object.keys(vf)) {
    if (!isCommentKey(k) && !KNOWN.has(k)) note(k, 'unknown to the importer; not carried over');
  }
  const vlans = Array.isArray(vf.vlans) ? vf.vlans.map(Number) : [];
  if (vf.allow_untagged === true && vlans.length > 0) {
    note(
      'allow_untagged',
      'a VF with VLANs and untagged frames has no nicvisor equivalent; imported as VLANs only',
    );
  }
  if (vf.antispoof_vlan === false || vf.antispoof_mac === false) {
    note('antispoof_*', 'VFd forced anti-spoofing on whatever the file said; imported on');
  }
  if (vf.allow_un_ucast === undefined) {
    note(
      'allow_un_ucast',
      "not set: imported as nicvisor's default false (VFd's code defaulted to true); set allowUnknownUnicast if the guest relies on it",
    );
  }
  const linkState = LINK[String(vf.link_status ?? 'auto')];
  if (!linkState)
    note('link_status', `${JSON.stringify(vf.link_status)} is not on|off|auto; imported as auto`);
  const maxTxRate = rate(vf.rate, 'rate', note);
  const minTxRate = rate(vf.min_rate, 'min_rate', note);
  const trafficShares = shares(vf, qos, note);
  const onStart = hook(vf.start_cb, 'start_cb', note);
  const onStop = hook(vf.stop_cb, 'stop_cb', note);
  const policy: VfPolicyInput = {
    name: typeof vf.name === 'string' ? vf.name : '',
    pf: String(vf.pciid ?? ''),
    vf: Number(vf.vfid ?? -1),
    vlans,
    untagged: vlans.length === 0,
    stripOuterTag: vf.strip_stag === true,
    macs: macList(vf, note),
    macAntiSpoof: true,
    vlanAntiSpoof: true,
    allowBroadcast: vf.allow_bcast !== false,
    allowMulticast: vf.allow_mcast !== false,
    allowUnknownUnicast: vf.allow_un_ucast === true,
    linkState: linkState ?? 'auto',
    ...(maxTxRate !== undefined ? { maxTxRate } : {}),
    ...(minTxRate !== undefined ? { minTxRate } : {}),
    ...(trafficShares ? { trafficShares } : {}),
    ...(onStart ? { onStart } : {}),
    ...(onStop ? { onStop } : {}),
  };
  return { file, policy, mirror: mirrorOf(vf.mirror, note) };
}
