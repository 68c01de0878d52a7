import { linuxCapabilities, MTU_MAX, type PfPolicy, type TrafficClass } from '../../model/index.js';
import { asObject, type ImportNote, isCommentKey, type Json } from './notes.js';

/** What the linux driver cannot do on any NIC (the importer writes a linux config). */
const LINUX_LIMITS = linuxCapabilities({
  driver: undefined,
  totalVfs: 0,
  linkSpeedMbps: 0,
  maxMtu: MTU_MAX,
  hasDevlinkEswitch: true,
});

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
]);
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
}

function trafficClasses(pci: Json, file: string, key: string, notes: ImportNote[]): TrafficClass[] {
  const raw = Array.isArray(pci.tclasses) ? pci.tclasses.map(asObject) : [];
  const groups = new Map<number, number>();
  for (const [name, members] of Object.entries(asObject(pci.bw_grps) ?? {})) {
    const g = /^bwg(\d)$/.exec(name);
    if (g && Array.isArray(members)) for (const tc of members) groups.set(Number(tc), Number(g[1]));
  }
  const byPri = raw
    .filter((tc): tc is Json => tc !== null)
    .sort((a, b) => Number(a.pri ?? 0) - Number(b.pri ?? 0));
  return byPri.map((tc, i) => {
    const at = `${key}.tclasses[pri ${tc.pri ?? i}]`;
    if (tc.max_bw !== undefined && Number(tc.max_bw) !== 100) {
      notes.push({
        file,
        key: `${at}.max_bw`,
        note: `a per-class maximum (${tc.max_bw}%) has no nicvisor equivalent; use the VFs' maxTxRate`,
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
    return {
      ...(typeof tc.name === 'string' && tc.name !== '' ? { name: tc.name } : {}),
      bandwidth: Math.round(Number(tc.min_bw ?? 1)),
      group: groups.get(Number(tc.pri ?? i)) ?? 0,
      strictPriority: tc.lsp === true,
    };
  });
}

function pciToPf(pci: Json, top: Json, file: string, key: string, notes: ImportNote[]): ImportedPf {
  const qos = top.enable_qos === true;
  let mtu = Number(pci.mtu ?? top.default_mtu ?? 1500);
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
      note: 'a promiscuous PF has no nicvisor equivalent; VFs get allowUnknownUnicast instead',
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
  if (pci.enable_loopback !== true) {
    // The importer writes a linux config: the one capability table says why it cannot be off.
    const why = LINUX_LIMITS.unsupportedPfFields.loopback?.reason ?? 'not supported';
    notes.push({
      file,
      key: `${key}.enable_loopback`,
      note: `loopback off is not carried over (${why}); VF-to-VF traffic stays inside the NIC`,
    });
  }
  return {
    qos,
    policy: {
      pf: String(pci.id ?? ''),
      mtu,
      loopback: true,
      flowControl: top.enable_flowcontrol === true ? 'both' : 'none',
      oversubscribe: pci.vf_oversubscription === true,
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
  const pcis = Array.isArray(top.pciids) ? top.pciids : [];
  const pfs: ImportedPf[] = [];
  pcis.forEach((raw, i) => {
    const pci = asObject(raw);
    if (!pci) {
      notes.push({ file, key: `pciids[${i}]`, note: 'not an object; skipped' });
      return;
    }
    const dpdk = Object.keys(pci).filter((k) => PCI_DPDK_KEYS.has(k));
    if (dpdk.length > 0)
      notes.push({
        file,
        key: `pciids[${i}]: ${dpdk.join(', ')}`,
        note: 'DPDK binding settings; the kernel driver owns the PF under nicvisor',
      });
    pfs.push(pciToPf(pci, top, file, `pciids[${i}]`, notes));
  });
  return pfs;
}
