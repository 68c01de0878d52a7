/**
 * `nicvisor cni`: a CNI 1.0 plugin over the daemon's API. ADD claims a VF of the netconf's
 * pool for the container (the daemon applies the pool's profile: MAC, VLAN, rates, and
 * keeps it), moves the VF's netdev into the namespace under CNI_IFNAME, runs the chained
 * IPAM plugin and answers the result. DEL undoes it and is idempotent: it succeeds when the
 * claim or the namespace is already gone (the kernel moved the VF back). CHECK reports an
 * attachment that drifted from what ADD left.
 */
import { type Claim, type LeanApi, LeanApiError, leanApi, SYSTEM_SOCKET } from '../lean-api.js';
import { delegate } from './ipam.js';
import { addressIn, DEFAULT_OPS, type LinkOps, macIn, moveIn, moveOut, netdevOf } from './link.js';
import {
  addResult,
  type CniEnv,
  CniError,
  type CniResult,
  type NetConf,
  parseEnv,
  parseNetConf,
  SUPPORTED_VERSIONS,
} from './spec.js';

export interface CniIo {
  env: NodeJS.ProcessEnv;
  stdin: string;
  ops?: LinkOps;
}

/**
 * NICVISOR_CNI_TRACE=1: each step's time on stderr (where the runtime logs it), in ms since
 * the process started (performance.now()), so node's own start and module loading show as
 * the time of the first step.
 */
function trace(step: string): void {
  if (process.env.NICVISOR_CNI_TRACE === '1')
    process.stderr.write(`nicvisor-cni: ${step} at ${Math.round(performance.now())} ms\n`);
}

function socketOf(conf: NetConf): string {
  return conf.socket ?? process.env.NICVISOR_SOCKET ?? SYSTEM_SOCKET;
}

async function waitNetdev(ops: LinkOps, pciAddr: string, ms: number): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const dev = await netdevOf(ops, pciAddr);
    if (dev) return dev;
    if (Date.now() > end)
      throw new CniError(
        5,
        `VF ${pciAddr} has no netdev in the host namespace (is its VF driver bound? a vfio-pci pool is for VMs)`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

function apiError(err: unknown): CniError {
  if (err instanceof CniError) return err;
  if (err instanceof LeanApiError)
    return new CniError(
      err.status === 409 || err.status === 422 ? 100 : err.status === 503 ? 11 : 5,
      err.message,
    );
  return new CniError(5, (err as Error).message ?? String(err));
}

async function ourClaim(api: LeanApi, conf: NetConf, env: CniEnv): Promise<Claim | null> {
  const pool = await api.pool(conf.pool);
  return (
    pool.claims.find(
      (c) => c.owner.kind === 'pod' && c.owner.id === env.containerId && c.ifname === env.ifname,
    ) ?? null
  );
}

async function add(conf: NetConf, env: CniEnv, stdin: string, ops: LinkOps): Promise<CniResult> {
  const api = leanApi(socketOf(conf));
  try {
    const r = await api.claim(conf.pool, {
      owner: { kind: 'pod', id: env.containerId },
      ifname: env.ifname,
      netns: env.netns,
    });
    const claim = r.claim;
    trace(`claimed ${claim.id}`);
    if (!claim.pciAddr)
      throw new CniError(
        5,
        `claim ${claim.id}: the VF has no PCI address, so no netdev to move into the namespace`,
      );
    try {
      if ((await macIn(ops, env.netns, env.ifname)) === null) {
        const dev = await waitNetdev(ops, claim.pciAddr, 5000);
        trace(`netdev ${dev}`);
        await moveIn(ops, dev, env.netns, env.ifname, claim.mac, conf.mtu);
        trace('moved into the namespace');
      }
      const ipam = await delegate('ADD', conf, stdin, env);
      trace('IPAM');
      if (ipam) await addressIn(ops, env.netns, env.ifname, ipam.ips ?? [], ipam.routes ?? []);
      trace('addressed');
      return addResult(
        conf,
        { name: env.ifname, mac: claim.mac, sandbox: env.netns, pciID: claim.pciAddr },
        ipam,
      );
    } catch (err) {
      // Leave nothing half-done: the VF goes back and the claim is released.
      await moveOut(ops, env.netns, env.ifname, claim.pciAddr, claim.netdev).catch(() => {});
      await delegate('DEL', conf, stdin, env).catch(() => {});
      await api.release(claim.id).catch(() => {});
      throw err;
    }
  } catch (err) {
    throw apiError(err);
  }
}

async function del(conf: NetConf, env: CniEnv, stdin: string, ops: LinkOps): Promise<void> {
  const api = leanApi(socketOf(conf));
  try {
    const claim = await ourClaim(api, conf, env);
    trace(`found ${claim?.id ?? 'no claim'}`);
    if (claim?.pciAddr)
      await moveOut(ops, env.netns || null, env.ifname, claim.pciAddr, claim.netdev);
    trace('moved out of the namespace');
    await delegate('DEL', conf, stdin, env);
    trace('IPAM');
    await api.releaseOwner(conf.pool, `pod:${env.containerId}`, env.ifname);
    trace('released');
  } catch (err) {
    throw apiError(err);
  }
}

async function check(conf: NetConf, env: CniEnv, stdin: string, ops: LinkOps): Promise<void> {
  const api = leanApi(socketOf(conf));
  try {
    const claim = await ourClaim(api, conf, env);
    if (!claim)
      throw new CniError(
        101,
        `no claim of pool ${conf.pool} for container ${env.containerId} ${env.ifname}`,
      );
    const mac = await macIn(ops, env.netns, env.ifname);
    if (mac === null) throw new CniError(101, `${env.ifname} is not in ${env.netns}`);
    if (mac.toLowerCase() !== claim.mac)
      throw new CniError(
        101,
        `${env.ifname} has MAC ${mac}, its claim ${claim.id} says ${claim.mac}`,
      );
    await delegate('CHECK', conf, stdin, env);
  } catch (err) {
    throw apiError(err);
  }
}

/** Run one CNI invocation; returns what to print on stdout and the exit code. */
export async function runCni(io: CniIo): Promise<{ stdout: string; code: number }> {
  const ops = io.ops ?? DEFAULT_OPS;
  let version = '1.0.0';
  try {
    trace('started');
    const env = parseEnv(io.env);
    if (env.command === 'VERSION')
      return {
        stdout: JSON.stringify({ cniVersion: '1.0.0', supportedVersions: SUPPORTED_VERSIONS }),
        code: 0,
      };
    const conf = parseNetConf(io.stdin);
    version = conf.cniVersion;
    if (env.command === 'ADD')
      return { stdout: JSON.stringify(await add(conf, env, io.stdin, ops)), code: 0 };
    if (env.command === 'DEL') await del(conf, env, io.stdin, ops);
    else await check(conf, env, io.stdin, ops);
    return { stdout: '', code: 0 };
  } catch (err) {
    const e =
      err instanceof CniError ? err : new CniError(999, (err as Error).message ?? String(err));
    return {
      stdout: JSON.stringify({
        cniVersion: version,
        code: e.code,
        msg: e.message,
        ...(e.details ? { details: e.details } : {}),
      }),
      code: 1,
    };
  }
}
