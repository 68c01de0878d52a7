/**
 * The CNI protocol (spec 1.0): the runtime's environment and netconf in, a result or an
 * error out. Pure parsing: the plugin (plugin.ts) does the work.
 */
export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0'];

/** CNI's well-known error codes (spec "Error"): 1-99 are the spec's, 100+ the plugin's. */
export const CniCode = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnvironment: 4,
  ioFailure: 5,
  decodeFailure: 6,
  invalidNetconf: 7,
  tryAgainLater: 11,
  /** nicvisor: the pool has no VF for this container. */
  noVf: 100,
  /** nicvisor: CHECK found the attachment not as ADD left it. */
  drift: 101,
} as const;

export class CniError extends Error {
  readonly code: number;
  readonly details: string;
  constructor(code: number, msg: string, details = '') {
    super(msg);
    this.code = code;
    this.details = details;
  }
}

/**
 * The network configuration on stdin. Checked by hand, not with zod: the plugin is started
 * per container and must load little (lean-api.cts says why).
 */
export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  /** The nicvisor pool the VF comes from. */
  pool: string;
  /** Daemon API socket (default $NICVISOR_SOCKET, then /run/nicvisor/nicvisor.sock). */
  socket?: string;
  mtu?: number;
  ipam?: { type: string; [k: string]: unknown };
  prevResult?: Record<string, unknown>;
  [k: string]: unknown;
}

function netConfProblems(d: Record<string, unknown>): string[] {
  const out: string[] = [];
  const str = (k: string, optional = false) => {
    const v = d[k];
    if (v === undefined && optional) return;
    if (typeof v !== 'string' || v === '') out.push(`${k}: a non-empty string is required`);
  };
  str('cniVersion');
  str('name');
  str('type');
  str('pool');
  str('socket', true);
  if (
    d.mtu !== undefined &&
    !(Number.isInteger(d.mtu) && (d.mtu as number) >= 68 && (d.mtu as number) <= 65535)
  )
    out.push('mtu: an integer 68-65535');
  const ipam = d.ipam as Record<string, unknown> | undefined;
  if (
    ipam !== undefined &&
    (typeof ipam !== 'object' || ipam === null || typeof ipam.type !== 'string' || !ipam.type)
  )
    out.push('ipam.type: the IPAM plugin name is required');
  if (
    d.prevResult !== undefined &&
    (typeof d.prevResult !== 'object' || d.prevResult === null || Array.isArray(d.prevResult))
  )
    out.push('prevResult: an object');
  return out;
}

export interface CniEnv {
  command: 'ADD' | 'DEL' | 'CHECK' | 'VERSION';
  containerId: string;
  netns: string;
  ifname: string;
  path: string[];
}

/** The CNI_* variables, checked as the spec says for each command. */
export function parseEnv(env: NodeJS.ProcessEnv): CniEnv {
  const command = env.CNI_COMMAND ?? '';
  if (!['ADD', 'DEL', 'CHECK', 'VERSION'].includes(command))
    throw new CniError(
      CniCode.invalidEnvironment,
      `CNI_COMMAND ${JSON.stringify(command)} is not one of ADD, DEL, CHECK, VERSION`,
    );
  const e: CniEnv = {
    command: command as CniEnv['command'],
    containerId: env.CNI_CONTAINERID ?? '',
    netns: env.CNI_NETNS ?? '',
    ifname: env.CNI_IFNAME ?? '',
    path: (env.CNI_PATH ?? '').split(':').filter(Boolean),
  };
  if (e.command === 'VERSION') return e;
  const missing = [
    ['CNI_CONTAINERID', e.containerId],
    ['CNI_IFNAME', e.ifname],
    // DEL may come without a netns (the container is gone): the spec allows it.
    ...(e.command === 'DEL' ? [] : [['CNI_NETNS', e.netns]]),
  ].filter(([, v]) => !v);
  if (missing.length > 0)
    throw new CniError(
      CniCode.invalidEnvironment,
      `missing ${missing.map(([k]) => k).join(', ')} for ${e.command}`,
    );
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(e.containerId))
    throw new CniError(
      CniCode.invalidEnvironment,
      `CNI_CONTAINERID ${JSON.stringify(e.containerId)} is not a container id (alphanumeric, . _ -)`,
    );
  if (!/^[A-Za-z0-9._-]{1,15}$/.test(e.ifname))
    throw new CniError(
      CniCode.invalidEnvironment,
      `CNI_IFNAME ${JSON.stringify(e.ifname)} is not an interface name (1-15 of A-Z a-z 0-9 . _ -)`,
    );
  return e;
}

export function parseNetConf(text: string): NetConf {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CniError(
      CniCode.decodeFailure,
      `netconf on stdin is not JSON: ${(err as Error).message}`,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new CniError(CniCode.decodeFailure, 'netconf on stdin is not a JSON object');
  const problems = netConfProblems(data as Record<string, unknown>);
  if (problems.length > 0)
    throw new CniError(CniCode.invalidNetconf, `netconf is not valid: ${problems.join('; ')}`);
  const conf = data as NetConf;
  if (!SUPPORTED_VERSIONS.includes(conf.cniVersion))
    throw new CniError(
      CniCode.incompatibleVersion,
      `cniVersion ${conf.cniVersion} is not supported (${SUPPORTED_VERSIONS.join(', ')})`,
    );
  return conf;
}

export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
  pciID?: string;
}

export interface CniIp {
  address: string;
  gateway?: string;
  interface?: number;
}

export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIp[];
  routes?: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
}

/**
 * The ADD result: this plugin's interface appended to a prevResult's (chained after
 * another plugin), with the IPAM plugin's addresses pointing at it.
 */
export function addResult(conf: NetConf, iface: CniInterface, ipam: CniResult | null): CniResult {
  const prev = (conf.prevResult ?? {}) as unknown as Partial<CniResult>;
  const interfaces = [...(prev.interfaces ?? []), iface];
  const index = interfaces.length - 1;
  const ips = [
    ...(prev.ips ?? []),
    ...(ipam?.ips ?? []).map((ip) => ({ ...ip, interface: index })),
  ];
  const routes = [...(prev.routes ?? []), ...(ipam?.routes ?? [])];
  const dns = ipam?.dns ?? prev.dns;
  return {
    cniVersion: conf.cniVersion,
    interfaces,
    ...(ips.length > 0 ? { ips } : {}),
    ...(routes.length > 0 ? { routes } : {}),
    ...(dns ? { dns } : {}),
  };
}
