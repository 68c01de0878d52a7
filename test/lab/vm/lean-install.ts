/**
 * The short-lived helper programs (CNI plugin, libvirt network hook) and the module files
 * each one loads: node reads every one of them at each start. Used to keep that set small
 * (test/cli/lean-entries.test.ts) and, inside the lab VM, to install the programs onto the
 * VM's local disk the way a package puts them on the host's: the repository is shared into
 * the VM over 9p without caching, where each file a program opens costs round trips that no
 * installed copy pays (measured: the plugin's start took 2.5-12 s from the share).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const LEAN_ENTRIES = {
  cni: 'src/cli/cni/main.cjs',
  hook: 'src/cli/libvirt-hook.js',
} as const;

export interface Closure {
  /** Our module files, relative to dist/. */
  files: string[];
  /** Every bare specifier imported (node builtins and packages). */
  external: string[];
}

/** The static import closure of `entry` (relative to `dist`), as node loads it. */
export function closureOf(dist: string, entry: string): Closure {
  const files = new Set<string>();
  const external = new Set<string>();
  const walk = (abs: string) => {
    const rel = relative(dist, abs);
    if (files.has(rel)) return;
    files.add(rel);
    const text = readFileSync(abs, 'utf8');
    const specs = [
      ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gms),
      ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
      ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
      // tsc's CommonJS output (the .cts entries): require("./x.cjs")
      ...text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g),
    ].map((m) => m[1]!);
    for (const s of specs)
      if (s.startsWith('.')) walk(resolve(dirname(abs), s));
      else external.add(s);
  };
  walk(join(dist, entry));
  return { files: [...files].sort(), external: [...external].sort() };
}

/**
 * Copies both programs' closures from `dist` to `dest` (same layout, with a package.json
 * that makes the files ES modules) and answers each program's path there.
 */
export function installLean(dist: string, dest: string): { cni: string; hook: string } {
  const all = new Set(Object.values(LEAN_ENTRIES).flatMap((e) => closureOf(dist, e).files));
  for (const f of all) {
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    copyFileSync(join(dist, f), join(dest, f));
  }
  writeFileSync(join(dest, 'package.json'), '{ "type": "module" }\n');
  return { cni: join(dest, LEAN_ENTRIES.cni), hook: join(dest, LEAN_ENTRIES.hook) };
}
