/**
 * One VFd VF file → a nicvisor VF policy, read the way VFd's own reader (lib/config.c
 * read_config) read it: flags count only as JSON booleans, numbers only as numbers, `macs`
 * wins over `mac`, `queues[].share` is atoi'd ("10%" → 10), `rate`/`min_rate` are fractions
 * of the link speed, a mirror direction is judged by its first letter.
 */
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
  'strip_ctag',
  'allow_bcast',
  'allow_mcast',
  'allow_un_ucast',
  'allow_untagged',
  'mac_anti_spoof',
  'vlan_anti_spoof',
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
/** VFd gave every traffic class this share when `queues` did not name it (config.c). */
export const VFD_DEFAULT_SHARE = 3;

const bool = (v: unknown, dflt: boolean): boolean => (typeof v === 'boolean' ? v : dflt);

/** What the importer needs to know about the VF's PF. */
export interface PfContext {
  /** enable_qos: VFd used queue shares only then. */
  qos: boolean;
  /** The PF's traffic class count (4 or 8). */
  classes: number;
  /** --link-speed: turns VFd's fractional rates into Mbps (undefined: not given). */
  linkSpeedMbps?: number;
}

/** A VF file before names and mirror targets are resolved across files. */
export interface ImportedVf {
  file: string;
  policy: VfPolicyInput;
  /** VFd's mirror target (a vfid on the same PF), resolved to a name later. */
  mirror: { target: number; direction: MirrorDirection } | null;
  /** VFd's own view, for its acceptance checks (accept.ts). */
  vfd: {
    vfid: number;
    pciid: string | null;
    vlans: number[];
    macs: string[];
    minRate: number;
    startCb?: string;
    stopCb?: string;
  };
}

type Notes = (key: string, note: string) => void;

/** VFd: the `macs` array when it has entries, else the single `mac`; `vm_mac` is the VF's own. */
function vfdMacs(vf: Json): string[] {
  const listed = Array.isArray(vf.macs)
    ? vf.macs.map((m) => (typeof m === 'string' ? m.trim() : ''))
    : [];
  if (listed.length > 0) return listed;
  return typeof vf.mac === 'string' ? [vf.mac.trim()] : [];
}

function macList(vf: Json, macs: string[], note: Notes): string[] {
  if (Array.isArray(vf.macs) && vf.macs.length > 0 && typeof vf.mac === 'string')
    note('mac', `ignored: VFd read "mac" only when "macs" was empty, and so does the import`);
  const own = typeof vf.vm_mac === 'string' ? [vf.vm_mac.trim()] : [];
  const out: string[] = [];
  for (const m of [...own, ...macs]) {
    const n = m.toLowerCase();
    if (!isUnicastMac(n)) {
      note(
        `macs: ${m}`,
        'not a unicast MAC (VFd accepted broadcast in its list); dropped — broadcast delivery is allowBroadcast',
      );
    } else if (!out.includes(n)) out.push(n);
  }
  if (own.length === 0 && out.length > 0) {
    note(
      'macs',
      `VFd left the VF's own MAC to the hypervisor; nicvisor programs macs[0] (${out[0]}) as the VF's default MAC — put the MAC the guest boots with first`,
    );
  }
  return out;
}

/** VFd's rate: a fraction of the link speed (main.c: link_speed * rate); 0 means none. */
function rate(v: unknown, key: string, ctx: PfContext, note: Notes): number | undefined {
  if (v === undefined || v === 0) return undefined;
  if (typeof v !== 'number' || v < 0) {
    note(key, `${JSON.stringify(v)} is not a fraction of the link speed; VFd read it as 0 (none)`);
    return undefined;
  }
  if (v > 1) {
    note(
      key,
      `${v} is more than the whole link (VFd's rate is a fraction: 0.1 = 10%); not carried over — set ${key === 'rate' ? 'maxTxRate' : 'minTxRate'} in Mbps by hand`,
    );
    return undefined;
  }
  if (ctx.linkSpeedMbps === undefined) {
    note(
      key,
      `${v} (${v * 100}% of the link) needs the link speed to become Mbps: run again with --link-speed MBPS`,
    );
    return undefined;
  }
  return Math.max(1, Math.round(v * ctx.linkSpeedMbps));
}

/** VFd: every class gets 3% unless `queues` names it with a share > 0 (atoi of the string). */
function shares(vf: Json, ctx: PfContext, note: Notes): number[] | undefined {
  if (!ctx.qos) {
    if (Array.isArray(vf.queues))
      note('queues', 'not carried over: enable_qos is off, so VFd ignored the queue shares too');
    return undefined;
  }
  const out = Array.from({ length: ctx.classes }, () => VFD_DEFAULT_SHARE);
  for (const raw of Array.isArray(vf.queues) ? vf.queues : []) {
    const q = asObject(raw);
    const pri = typeof q?.priority === 'number' ? Math.trunc(q.priority) : -1;
    const share = typeof q?.share === 'string' ? Number.parseInt(q.share.trim(), 10) : Number.NaN;
    if (!(pri >= 0 && pri < 8 && share > 0)) {
      note(
        'queues',
        `entry ${JSON.stringify(raw)} is not {priority: 0-7, share: "N%"}; VFd ignored it too`,
      );
      continue;
    }
    if (pri >= ctx.classes) {
      note('queues', `priority ${pri} has no traffic class on the PF (${ctx.classes}); ignored`);
      continue;
    }
    out[pri] = share;
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

/** config.c: a target ≥ 0 turns mirroring on; direction by first letter (a/b all, i in, "out"). */
function mirrorOf(v: unknown): ImportedVf['mirror'] {
  const m = asObject(v);
  if (!m || typeof m.target !== 'number' || m.target < 0) return null;
  const dir = typeof m.direction === 'string' ? m.direction : 'all';
  let direction: MirrorDirection | null = 'all';
  if (dir.startsWith('o')) direction = dir === 'out' ? 'out' : null;
  else if (dir.startsWith('i')) direction = 'in';
  return direction ? { target: Math.trunc(m.target), direction } : null;
}

/** One VFd VF file → a nicvisor VF policy (name not yet made unique or safe). */
export function importVfConfig(
  vf: Json,
  file: string,
  ctx: PfContext,
  notes: ImportNote[],
): ImportedVf {
  const note: Notes = (key, n) => notes.push({ file, key, note: n });
  for (const k of Object.keys(vf)) {
    if (!isCommentKey(k) && !KNOWN.has(k)) note(k, 'unknown to the importer; not carried over');
  }
  // VFd turned a VLAN that is not a number into -1 and then refused the file (accept.ts).
  const vlans = Array.isArray(vf.vlans)
    ? vf.vlans.map((x) => (typeof x === 'number' ? x : -1))
    : [];
  if (bool(vf.allow_untagged, false))
    note(
      'allow_untagged',
      'VLANs plus untagged frames on one VF has no nicvisor equivalent; imported as VLANs only',
    );
  for (const k of ['mac_anti_spoof', 'vlan_anti_spoof', 'antispoof_mac', 'antispoof_vlan'])
    if (vf[k] === false || vf[k] === 0)
      note(k, 'VFd forced VLAN anti-spoofing on (and MAC anti-spoofing with it); imported on');
  if (vf.allow_un_ucast === undefined) {
    note(
      'allow_un_ucast',
      "not set: VFd's reader defaulted to false (its documentation says true); imported as false",
    );
  }
  const stripC = bool(vf.strip_ctag, false);
  if (stripC) note('strip_ctag', 'nicvisor strips the outer tag only; imported as stripOuterTag');
  const strip = bool(vf.strip_stag, false) || stripC;
  const link = typeof vf.link_status === 'string' ? vf.link_status.trim() : 'auto';
  const linkState = LINK[link];
  if (!linkState)
    note('link_status', `${JSON.stringify(vf.link_status)} is not on|off|auto; imported as auto`);
  const maxTxRate = rate(vf.rate, 'rate', ctx, note);
  const minTxRate = rate(vf.min_rate, 'min_rate', ctx, note);
  const trafficShares = shares(vf, ctx, note);
  const onStart = hook(vf.start_cb, 'start_cb', note);
  const onStop = hook(vf.stop_cb, 'stop_cb', note);
  const macs = vfdMacs(vf);
  const policy: VfPolicyInput = {
    name: typeof vf.name === 'string' ? vf.name : '',
    pf: typeof vf.pciid === 'string' ? vf.pciid.trim() : '',
    vf: typeof vf.vfid === 'number' ? vf.vfid : -1,
    vlans,
    untagged: false,
    stripOuterTag: strip,
    macs: macList(vf, macs, note),
    macAntiSpoof: true,
    vlanAntiSpoof: true,
    allowBroadcast: bool(vf.allow_bcast, true),
    allowMulticast: bool(vf.allow_mcast, true),
    allowUnknownUnicast: bool(vf.allow_un_ucast, false),
    linkState: linkState ?? 'auto',
    ...(maxTxRate !== undefined ? { maxTxRate } : {}),
    ...(minTxRate !== undefined ? { minTxRate } : {}),
    ...(trafficShares ? { trafficShares } : {}),
    ...(onStart ? { onStart } : {}),
    ...(onStop ? { onStop } : {}),
  };
  return {
    file,
    policy,
    mirror: mirrorOf(vf.mirror),
    vfd: {
      vfid: policy.vf,
      pciid: typeof vf.pciid === 'string' ? vf.pciid.trim() : null,
      vlans,
      macs,
      minRate: typeof vf.min_rate === 'number' ? vf.min_rate : 0,
      startCb: typeof vf.start_cb === 'string' ? vf.start_cb : undefined,
      stopCb: typeof vf.stop_cb === 'string' ? vf.stop_cb : undefined,
    },
  };
}
