import { MTU_MAX, type PfPolicy, type TrafficClass } from '../../model/index.js';
import { asObject, type ImportNote, isCommentKey, type Json } from './notes.js';

/** VFd main-config keys that describe the VFd process or DPDK; nicvisor has no use for them. */
const PROCESS_KEYS = new Set([
  'log_dir',
  'log_keep',
  'log_level',
  'init_log_level',
  'dpdk_log_level',
  'dpdk_init_log_level',
  'config_dir',
  'fifo',
  'cpu_mask',
  'numa_mem',
  'huge',
  'default_mtu',
  'enable_qos',
  'enable_flowcontrol',
  'pciids',
  'pid_fname',
  'stats_path',
  'mtu',
  'huge_pages',
  'cpu_alarm',
  'cpu_alarm_type',
  'delete_keep',
]);

/** VFd capped every PF's MTU here (config.c: "niantic has issues with packets > 9.5K"). */
export const VFD_MTU_CAP = 9420;
/** VFd's default MTU when vfd.cfg has neither default_mtu nor the older mtu. */
export const VFD_DEFAULT_MTU = 9420;

/** VFd read numbers with jw_is_value and flags with jw_is_bool: other types meant the default. */
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const bool = (v: unknown, dflt: boolean): boolean => (typeof v === 'boolean' ? v : dflt);
const bound = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.trunc(v)));
const PCI_DPDK_KEYS = new Set(['hw_strip_crc', 'pf_driver', 'vf_driver']);
const PCI_KEYS = new Set([
  'id',
  'mtu',
  'enable_loopback',
  'vf_oversubscription',
  'tclasses',
  'bw_grps',
  'promiscuous',
  ...PCI_DPDK_KEYS,
]);

export interface ImportedPf {
  policy: Omit<PfPolicy, 'numVfs' | 'eswitchMode' | 'totalVfs' | 'lag'>;
  /** VFd only used QoS settings with `enable_qos`; so does the import. */
  qos: boolean;
  /** VFd's traffic class count: 4, or 8 once a class has priority 4-7. */
  classes: number;
  /** Where in vfd.cfg the PF came from (`pciids[N]`), for notes. */
  key: string;
}

function trafficClasses(pci: Json, file: string, key: string, notes: ImportNote[]): TrafficClass[] {
  const raw = Array.isArray(pci.tclasses) ? pci.tclasses.map(asObject) : [];
  const groups = new Map<number, number>();
  for (const [name, members] of Object.entries(asObject(pci.bw_grps) ?? {})) {
    const g = /^bwg(\d)$/.exec(name);
    if (g && Array.isArray(members)) for (const tc of members) groups.set(Number(tc), Number(g[1]));
  }
  // VFd indexed classes by `pri` (0-7); another priority made it refuse vfd.cfg.
  const byPri = raw
    .filter((tc): tc is Json => tc !== null)
    .filter((tc) => {
      const pri = num(tc.pri) ?? 0;
      if (pri >= 0 && pri < 8) return true;
      notes.push({ file, key: `${key}.tclasses`, note: `pri ${tc.pri} is not 0-7; skipped` });
      return false;
    })
    .sort((a, b) => Number(a.pri ?? 0) - Number(b.pri ?? 0));
  return byPri.map((tc, i) => {
    const at = `${key}.tclasses[pri ${tc.pri ?? i}]`;
    const maxBw = num(tc.max_bw);
    if (maxBw !== undefined && bound(maxBw, 1, 100) !== 100) {
      notes.push({
        file,
        key: `${at}.max_bw`,
        note: `a per-class maximum (${bound(maxBw, 1, 100)}%) has no nicvisor equivalent; use the VFs' maxTxRate`,
      });
    }
    if (tc.bsp === true)
      notes.push({
        file,
        key: `${at}.bsp`,
        note: 'bandwidth-group strict priority has no nicvisor equivalent',
      });
    if (tc.llatency === true || tc.latency === true)
      notes.push({
        file,
        key: `${at}.llatency`,
        note: 'low-latency classes have no nicvisor equivalent',
      });
    // VFd: min_bw defaults to 1 and is bounded to 1-100 (IBOUND).
    const minBw = num(tc.min_bw);
    return {
      ...(typeof tc.name === 'string' && tc.name !== '' ? { name: tc.name } : {}),
      bandwidth: minBw === undefined ? 1 : bound(minBw, 1, 100),
      group: groups.get(Number(tc.pri ?? i)) ?? 0,
      strictPriority: tc.lsp === true,
    };
  });
}

function pciToPf(
  pci: Json,
  defMtu: number,
  top: Json,
  file: string,
  key: string,
  notes: ImportNote[],
): ImportedPf {
  const qos = top.enable_qos === true;
  let mtu = Math.min(num(pci.mtu) ?? defMtu, VFD_MTU_CAP);
  if (mtu > MTU_MAX) {
    notes.push({
      file,
      key: `${key}.mtu`,
      note: `mtu ${mtu} is above nicvisor's maximum ${MTU_MAX}; imported as ${MTU_MAX}`,
    });
    mtu = MTU_MAX;
  }
  if (pci.promiscuous === true) {
    notes.push({
      file,
      key: `${key}.promiscuous`,
      note: 'a promiscuous PF has no nicvisor equivalent; give the VFs that need it allowUnknownUnicast',
    });
  }
  for (const k of Object.keys(pci)) {
    if (isCommentKey(k) || PCI_KEYS.has(k)) continue;
    notes.push({
      file,
      key: `${key}.${k}`,
      note: 'unknown to the importer; not carried over (VFd ignored unknown keys too)',
    });
  }
  if (!qos && Array.isArray(pci.tclasses)) {
    notes.push({
      file,
      key: `${key}.tclasses`,
      note: 'not carried over: enable_qos is off, so VFd ignored the traffic classes too',
    });
  }
  const classes = qos ? trafficClasses(pci, file, key, notes) : [];
  const highPri = Array.isArray(pci.tclasses)
    ? pci.tclasses.some((t) => (num(asObject(t)?.pri) ?? 0) > 3)
    : false;
  return {
    qos,
    classes: highPri ? 8 : 4,
    key,
    policy: {
      pf: String(pci.id ?? 'missing-id').trim(),
      mtu,
      // VFd's default (and a plain string entry's) was loopback off; the target decides
      // whether that can be carried over (importVfd).
      loopback: bool(pci.enable_loopback, false),
      flowControl: top.enable_flowcontrol === true ? 'both' : 'none',
      oversubscribe: bool(pci.vf_oversubscription, false),
      ...(classes.length > 0 ? { qos: { trafficClasses: classes } } : {}),
    },
  };
}

/** VFd's `vfd.cfg` → one nicvisor PF policy per `pciids` entry (numVfs decided by the caller). */
export function importMainConfig(top: Json, file: string, notes: ImportNote[]): ImportedPf[] {
  const dropped = Object.keys(top).filter(
    (k) =>
      PROCESS_KEYS.has(k) &&
      k !== 'pciids' &&
      k !== 'default_mtu' &&
      k !== 'mtu' &&
      k !== 'enable_qos' &&
      k !== 'enable_flowcontrol',
  );
  if (dropped.length > 0) {
    notes.push({
      file,
      key: dropped.join(', '),
      note: 'VFd process/DPDK settings; nicvisor has no equivalent (see its daemon settings)',
    });
  }
  for (const k of Object.keys(top)) {
    if (!isCommentKey(k) && !PROCESS_KEYS.has(k))
      notes.push({ file, key: k, note: 'unknown to the importer; not carried over' });
  }
  // config.c: default_mtu, else the older top-level mtu, else 9420.
  const defMtu = num(top.default_mtu) ?? num(top.mtu) ?? VFD_DEFAULT_MTU;
  const pcis = Array.isArray(top.pciids) ? top.pciids : [];
  const pfs: ImportedPf[] = [];
  pcis.forEach((raw, i) => {
    const key = `pciids[${i}]`;
    // VFd accepted a plain string: the PF's address, with default_mtu, loopback off and
    // promiscuous on (config.c keeps the original version's behaviour).
    if (typeof raw === 'string') {
      pfs.push(pciToPf({ id: raw, promiscuous: true }, defMtu, top, file, key, notes));
      return;
    }
    const pci = asObject(raw);
    if (!pci) {
      notes.push({ file, key, note: 'neither a PCI address nor an object; VFd skipped it too' });
      return;
    }
    const dpdk = Object.keys(pci).filter((k) => PCI_DPDK_KEYS.has(k));
    if (dpdk.length > 0)
      notes.push({
        file,
        key: `${key}: ${dpdk.join(', ')}`,
        note: 'DPDK binding settings; the kernel driver owns the PF under nicvisor',
      });
    pfs.push(pciToPf(pci, defMtu, top, file, key, notes));
  });
  return pfs;
}
