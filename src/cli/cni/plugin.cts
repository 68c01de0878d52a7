/**
 * `nicvisor cni`: a CNI 1.0 plugin over the daemon's API. ADD claims a VF of the netconf's
 * pool for the container (the daemon applies the pool's profile: MAC, VLAN, rates, and
 * keeps it), moves the VF's netdev into the namespace under CNI_IFNAME, runs the chained
 * IPAM plugin and answers the result. DEL undoes it and is idempotent: it succeeds when the
 * claim or the namespace is already gone (the kernel moved the VF back). CHECK reports an
 * attachment that drifted from what ADD left.
 */
import { type Claim, type LeanApi, LeanApiError, leanApi, SYSTEM_SOCKET } from '../lean-api.cjs';
import { delegate } from './ipam.cjs';
import { addressIn, DEFAULT_OPS, type LinkOps, macIn, moveIn, moveOut, netdevOf } from './link.cjs';
import {
  addResult,
  type CniEnv,
  CniError,
  type CniResult,
  type NetConf,
  parseEnv,
  parseNetConf,
  SUPPORTED_VERSIONS,
} from './spec.cjs';

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
export function trace(step: string): void {
  if (process.env.NICVISOR_CNI_TRACE === '1')
    process.stderr.write(`nicvisor-cni: ${step} at ${Math.round(performance.now())} ms\n`);
}

/**
 * The trace's first lines: when node's clock began (Unix ms, so the caller can tell how long
 * the exec took before it) and when node's own bootstrap was done, before any module of ours
 * loaded: what comes before `started` beyond that is module loading and stdin.
 */
function traceStart(): void {
  if (process.env.NICVISOR_CNI_TRACE !== '1') return;
  process.stderr.write(`nicvisor-cni: time origin ${performance.timeOrigin.toFixed(1)}\n`);
  // node's global `performance` is perf_hooks' (typed as the DOM's here); importing
  // node:perf_hooks for the type would load one more module at every start.
  const { nodeTiming } = performance as unknown as { nodeTiming: { bootstrapComplete: number } };
  process.stderr.write(
    `nicvisor-cni: node bootstrapped at ${Math.round(nodeTiming.bootstrapComplete)} ms\n`,
  );
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

/**
 * IPAM needs nothing of the VF, so it runs while the daemon claims and configures it; the
 * VF then goes into the namespace with its name, MAC and addresses in one batch there.
 * Under emulation every process start costs a second or more (lab VM), and on hardware each
 * is still a fork + exec: ADD starts `ip`, `nsenter ip` and the IPAM plugin, no more.
 */
async function add(conf: NetConf, env: CniEnv, stdin: string, ops: LinkOps): Promise<CniResult> {
  const api = leanApi(socketOf(conf));
  const ipam = delegate('ADD', conf, stdin, env).then((r) => {
    trace('IPAM');
    return r;
  });
  ipam.catch(() => {}); // awaited below: no unhandled rejection while the claim runs
  let claim: Claim | null = null;
  try {
    const r = await api.claim(conf.pool, {
      owner: { kind: 'pod', id: env.containerId },
      ifname: env.ifname,
      netns: env.netns,
    });
    claim = r.claim;
    trace(`claimed ${claim.id}`);
    if (!claim.pciAddr)
      throw new CniError(
        5,
        `claim ${claim.id}: the VF has no PCI address, so no netdev to move into the namespace`,
      );
    const result = await ipam;
    const ips = result?.ips ?? [];
    const routes = result?.routes ?? [];
    // A retried ADD (same container and ifname: the daemon answers the same claim) may find
    // the interface in place already; a new claim's VF is still in the host.
    if (r.existing && (await macIn(ops, env.netns, env.ifname)) !== null) {
      await addressIn(ops, env.netns, env.ifname, ips, routes);
    } else {
      const dev = await waitNetdev(ops, claim.pciAddr, 5000);
      trace(`netdev ${dev}`);
      await moveIn(ops, dev, env.netns, env.ifname, claim.mac, conf.mtu, ips, routes);
    }
    trace('moved into the namespace and addressed');
    return addResult(
      conf,
      { name: env.ifname, mac: claim.mac, sandbox: env.netns, pciID: claim.pciAddr },
      result,
    );
  } catch (err) {
    // Leave nothing half-done: the VF goes back, the claim is released, the address freed.
    if (claim) {
      const c = claim;
      await moveOut(ops, env.netns, env.ifname, c.pciAddr ?? '', c.netdev).catch(() => {});
      await api.release(c.id).catch(() => {});
    }
    await ipam.then(
      () => delegate('DEL', conf, stdin, env).catch(() => {}),
      () => {},
    );
    throw apiError(err);
  }
}

async function del(conf: NetConf, env: CniEnv, stdin: string, ops: LinkOps): Promise<void> {
  const api = leanApi(socketOf(conf));
  // The address is freed while the claim is looked up and the VF moves back: IPAM DEL needs
  // neither (host-local frees by container id and ifname, and succeeds when nothing is held).
  const ipam = delegate('DEL', conf, stdin, env);
  ipam.catch(() => {}); // awaited below: no unhandled rejection while the claim is looked up
  try {
    const claim = await ourClaim(api, conf, env);
    trace(`found ${claim?.id ?? 'no claim'}`);
    await Promise.all([
      claim?.pciAddr
        ? moveOut(ops, env.netns || null, env.ifname, claim.pciAddr, claim.netdev)
        : null,
      ipam,
    ]);
    trace('moved out of the namespace, IPAM');
    await api.releaseOwner(conf.pool, `pod:${env.containerId}`, env.ifname);
    trace('released');
  } catch (err) {
    await ipam.catch(() => {}); // settled before the error answer: no IPAM left running
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
    traceStart();
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
