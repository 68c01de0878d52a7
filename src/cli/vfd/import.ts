import { basename } from 'node:path';
import {
  defaultCapabilityMap,
  isVfName,
  MainConfig,
  type MainConfigInput,
  type VfPolicyInput,
} from '../../model/index.js';
import { VfdAcceptance } from './accept.js';
import { type ImportedPf, importMainConfig } from './main-config.js';
import { asObject, type ImportNote } from './notes.js';
import { type ImportedVf, importVfConfig } from './vf-config.js';

/** Where the converted configuration is meant to run. */
export interface ImportTarget {
  /** linux: the real PFs VFd drove; sim: a simulated NIC with one port per VFd PF. */
  driver: 'linux' | 'sim';
  /** switchdev: trunks, several MACs, mirrors and shares validate on the linux driver. */
  eswitchMode: 'legacy' | 'switchdev';
  /** Turns VFd's fractional rate/min_rate into Mbps. */
  linkSpeedMbps?: number;
}

export const DEFAULT_TARGET: ImportTarget = { driver: 'linux', eswitchMode: 'legacy' };

/** The sim NIC the import describes: one port per VFd PF, VFd's 32 VFs each. */
const SIM_NIC = 'vfd';

export interface VfdInput {
  file: string;
  data: unknown;
}

export interface ImportResult {
  main: MainConfigInput;
  vfs: VfPolicyInput[];
  /** The VFd file each VF policy came from (same order as `vfs`). */
  sources: string[];
  notes: ImportNote[];
}

/** VFd names were free text ("VM_1/uuid-…"); nicvisor names become file names. */
function safeName(raw: string, fallback: string): string {
  const cleaned = raw
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return isVfName(cleaned) ? cleaned : fallback;
}

function nameAll(vfs: ImportedVf[], notes: ImportNote[]): void {
  const used = new Set<string>();
  for (const v of vfs) {
    const raw = String(v.policy.name);
    const fallback = safeName(basename(v.file, '.json'), `vf-${v.policy.vf}`);
    let name = raw === '' ? fallback : safeName(raw, fallback);
    for (let n = 2; used.has(name); n++)
      name = `${safeName(raw || fallback, fallback).slice(0, 58)}-${n}`;
    if (name !== raw) {
      notes.push({
        file: v.file,
        key: 'name',
        note: `${JSON.stringify(raw)} becomes "${name}" (names are file names: [A-Za-z0-9._-]{1,64}, unique)`,
      });
    }
    used.add(name);
    v.policy.name = name;
  }
}

function resolveMirrors(vfs: ImportedVf[], notes: ImportNote[]): void {
  for (const v of vfs) {
    if (!v.mirror) continue;
    const { target, direction } = v.mirror;
    const t = vfs.find((x) => x.policy.pf === v.policy.pf && x.policy.vf === target);
    if (t) v.policy.mirror = { target: t.policy.name, direction };
    else
      notes.push({
        file: v.file,
        key: 'mirror',
        note: `target vfid ${target} on ${v.policy.pf} has no VF file; not carried over`,
      });
  }
}

/**
 * Loopback off survives only where the target can enforce it; otherwise note why (the one
 * capability table says) and keep it on, as VF-to-VF traffic then stays inside the NIC.
 */
function settleLoopback(
  main: MainConfigInput,
  pfs: ImportedPf[],
  file: string,
  target: ImportTarget,
  notes: ImportNote[],
): void {
  const parsed = MainConfig.safeParse(main);
  if (!parsed.success) return;
  const caps = defaultCapabilityMap(parsed.data);
  main.pfs?.forEach((pf, i) => {
    if (pf.loopback !== false) return;
    const c = caps.get(pf.pf);
    const limit =
      (target.eswitchMode === 'switchdev'
        ? c?.switchdev?.unsupportedPfFields.loopback
        : undefined) ?? c?.unsupportedPfFields.loopback;
    if (!limit) return;
    pf.loopback = true;
    notes.push({
      file,
      key: `${pfs[i].key}.enable_loopback`,
      note: `loopback off is not carried over (${limit.reason}); VF-to-VF traffic stays inside the NIC`,
    });
  });
}

/**
 * VFd's main config and VF files → a nicvisor main config and VF policies, with a note for
 * everything not carried over as is. Files VFd itself refused are left out, with VFd's
 * reason. VFd did not create VFs, so each PF's numVfs is its highest vfid + 1 (noted).
 */
export function importVfd(
  cfg: VfdInput,
  vfFiles: readonly VfdInput[],
  target: ImportTarget = DEFAULT_TARGET,
): ImportResult {
  const notes: ImportNote[] = [];
  const top = asObject(cfg.data) ?? {};
  if (!asObject(cfg.data))
    notes.push({ file: cfg.file, key: '(document)', note: 'not a JSON object' });
  const pfs = importMainConfig(top, cfg.file, notes);
  const ctxOf = new Map(pfs.map((p) => [p.policy.pf, p]));
  const accept = new VfdAcceptance(pfs.map((p) => p.policy.pf));
  const vfs: ImportedVf[] = [];
  for (const f of vfFiles) {
    const obj = asObject(f.data);
    if (!obj) {
      notes.push({ file: f.file, key: '(document)', note: 'not a JSON object; skipped' });
      continue;
    }
    const pf = ctxOf.get(typeof obj.pciid === 'string' ? obj.pciid.trim() : '');
    const ctx = {
      qos: pf?.qos ?? false,
      classes: pf?.classes ?? 4,
      linkSpeedMbps: target.linkSpeedMbps,
    };
    const fileNotes: ImportNote[] = [];
    const v = importVfConfig(obj, f.file, ctx, fileNotes);
    const refused = accept.admit(v);
    if (refused) {
      notes.push({
        file: f.file,
        key: '(file)',
        note: `VFd refused this file ("${refused}"), so it never ran under VFd; not imported`,
      });
      continue;
    }
    notes.push(...fileNotes);
    vfs.push(v);
  }
  nameAll(vfs, notes);
  resolveMirrors(vfs, notes);
  // On the sim, VFd's PCI addresses become the ports of one simulated NIC.
  const simPf = new Map(pfs.map((p, i) => [p.policy.pf, `sim:${SIM_NIC}/${i}`]));
  const pfId = (id: string) => (target.driver === 'sim' ? (simPf.get(id) ?? id) : id);
  if (target.driver === 'sim')
    for (const [from, to] of simPf)
      notes.push({ file: cfg.file, key: from, note: `becomes the simulated PF ${to}` });
  const main: MainConfigInput = {
    driver: target.driver,
    ...(target.driver === 'sim'
      ? {
          sim: {
            nics: [
              {
                name: SIM_NIC,
                ports: Math.max(1, pfs.length),
                totalVfs: 32,
                linkSpeedMbps: target.linkSpeedMbps ?? 25000,
              },
            ],
            demoTraffic: false,
          },
        }
      : {}),
    pfs: pfs.map((p) => {
      const top = vfs
        .filter((v) => v.policy.pf === p.policy.pf)
        .reduce((m, v) => Math.max(m, v.policy.vf + 1), 0);
      notes.push({
        file: cfg.file,
        key: `${p.policy.pf} numVfs`,
        note: `set to ${top} (highest vfid + 1); VFd did not create VFs — set it to the count the host needs`,
      });
      return {
        ...p.policy,
        pf: pfId(p.policy.pf),
        numVfs: top,
        ...(target.eswitchMode === 'switchdev' ? { eswitchMode: 'switchdev' as const } : {}),
      };
    }),
  };
  settleLoopback(main, pfs, cfg.file, target, notes);
  for (const v of vfs) v.policy.pf = pfId(String(v.policy.pf));
  return { main, vfs: vfs.map((v) => v.policy), sources: vfs.map((v) => v.file), notes };
}
