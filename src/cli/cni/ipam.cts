/**
 * Chained IPAM: the plugin the netconf's `ipam.type` names is found in CNI_PATH and run with
 * the same environment and netconf, as the spec's delegation says (sriov-cni and every main
 * plugin do the same through libcni's `ipam.ExecAdd`).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { exists } from './link.cjs';
import { type CniEnv, CniError, type CniResult, type NetConf } from './spec.cjs';

async function find(type: string, path: string[]): Promise<string> {
  if (!/^[A-Za-z0-9._-]+$/.test(type))
    throw new CniError(7, `ipam.type ${JSON.stringify(type)} is not a plugin name`);
  for (const dir of path) if (await exists(join(dir, type))) return join(dir, type);
  throw new CniError(5, `IPAM plugin ${type} not found in CNI_PATH (${path.join(':') || 'empty'})`);
}

export async function delegate(
  command: 'ADD' | 'DEL' | 'CHECK',
  conf: NetConf,
  stdin: string,
  env: CniEnv,
): Promise<CniResult | null> {
  if (!conf.ipam) return null;
  const bin = await find(conf.ipam.type, env.path);
  return new Promise((resolve, reject) => {
    const child = execFile(
      bin,
      [],
      { env: { ...process.env, CNI_COMMAND: command }, encoding: 'utf8', timeout: 30000 },
      (err, stdout) => {
        if (!err) {
          resolve(stdout.trim() ? (JSON.parse(stdout) as CniResult) : null);
          return;
        }
        let msg = err.message;
        try {
          const e = JSON.parse(stdout) as { msg?: string; code?: number };
          if (e.msg) msg = e.msg;
        } catch {}
        reject(new CniError(5, `IPAM plugin ${conf.ipam!.type} ${command} failed: ${msg}`));
      },
    );
    child.stdin?.end(stdin);
  });
}
