/**
 * What every test inside the lab VM needs and nothing more (so a test that does not drive
 * the linux driver does not load it: node reads each module over 9p under emulation).
 */
import { execFileSync } from 'node:child_process';

/** Which device this VM was booted with, or undefined on the host. */
export const LAB = process.env.NICVISOR_LAB;

/** The igb PF's netdev in a VM booted with --igb (test/lab/vm/igb.sh finds it). */
export const IGB_NETDEV = process.env.NICVISOR_IGB_PF ?? 'eth0';

export function skipUnless(device: string): false | string {
  return LAB === device
    ? false
    : `runs inside the lab VM booted with ${device} (test/lab/run-lab.sh)`;
}

export function sh(cmd: string): string {
  return execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' });
}

/**
 * How many times its written bound a wait may take in here. A wait in the lab tests bounds a
 * hang, never a speed (speeds are printed, and measured in `npm run bench`): the VM is
 * emulated (TCG) on a shared 2-core host whose load has made the same igb boot take from
 * 250 s to over 900 s. NICVISOR_LAB_SLACK=N overrides it.
 */
export const SLACK = Number(process.env.NICVISOR_LAB_SLACK) || 4;

/** Resolves once `cond()` holds, polling every 100 ms; rejects after `ms` × SLACK. */
export function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const limit = ms * SLACK;
  const until = Date.now() + limit;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) resolve();
      else if (Date.now() > until)
        reject(new Error(`timed out after ${limit} ms waiting for ${what}`));
      else setTimeout(tick, 100);
    };
    tick();
  });
}
