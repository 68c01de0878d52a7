import { basename } from 'node:path';
import { isVfName, type MainConfigInput, type VfPolicyInput } from '../../model/index.js';
import { importMainConfig } from './main-config.js';
import { asObject, type ImportNote } from './notes.js';
import { type ImportedVf, importVfConfig } from './vf-config.js';

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
 * VFd's main config and VF files → a nicvisor main config (driver `linux`: VFd managed real
 * PCI devices) and VF policies, with a note for everything not carried over as is. VFd did
 * not create VFs, so each PF's numVfs is its highest vfid + 1 (noted, to be checked).
 */
export function importVfd(cfg: VfdInput, vfFiles: readonly VfdInput[]): ImportResult {
  const notes: ImportNote[] = [];
  const top = asObject(cfg.data) ?? {};
  if (!asObject(cfg.data))
    notes.push({ file: cfg.file, key: '(document)', note: 'not a JSON object' });
  const pfs = importMainConfig(top, cfg.file, notes);
  const qosOf = new Map(pfs.map((p) => [p.policy.pf, p.qos]));
  const vfs: ImportedVf[] = [];
  for (const f of vfFiles) {
    const obj = asObject(f.data);
    if (!obj) {
      notes.push({ file: f.file, key: '(document)', note: 'not a JSON object; skipped' });
      continue;
    }
    vfs.push(importVfConfig(obj, f.file, qosOf.get(String(obj.pciid)) ?? false, notes));
  }
  nameAll(vfs, notes);
  resolveMirrors(vfs, notes);
  const main: MainConfigInput = {
    driver: 'linux',
    pfs: pfs.map((p) => {
      const top = vfs
        .filter((v) => v.policy.pf === p.policy.pf)
        .reduce((m, v) => Math.max(m, v.policy.vf + 1), 0);
      notes.push({
        file: cfg.file,
        key: `${p.policy.pf} numVfs`,
        note: `set to ${top} (highest vfid + 1); VFd did not create VFs — set it to the count the host needs`,
      });
      return { ...p.policy, numVfs: top };
    }),
  };
  return { main, vfs: vfs.map((v) => v.policy), sources: vfs.map((v) => v.file), notes };
}
