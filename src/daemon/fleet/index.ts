/**
 * `serve --fleet URL`: the fleet backend chosen by the URL's scheme from an explicit registry
 * (an unknown scheme is an error listing the valid ones), and the agent over the running
 * daemon. `serve` and the tests build agents only through here, so both run one code path.
 */
import { hostname } from 'node:os';
import { HostName, type Labels } from '../../model/fleet.js';
import type { Logger } from '../logger.js';
import type { Daemon } from '../service.js';
import { FleetAgent } from './agent.js';
import type { FleetBackend } from './backend.js';
import { EtcdFleet } from './etcd.js';
import { type FleetTlsFiles, parseFleetUrl, parseLabels } from './url.js';

export interface FleetOptions {
  /** `etcd://HOST:PORT,…/PREFIX` or `etcds://…`. */
  url: string;
  tls?: FleetTlsFiles;
  /** Default: the machine's host name. */
  host?: string;
  /** `k=v,k=v` or an object. */
  labels?: string | Labels;
  retryMs?: number;
}

const BACKENDS: Record<string, (url: string, tls: FleetTlsFiles, log: Logger) => FleetBackend> = {
  etcd: (url, tls, log) => new EtcdFleet(parseFleetUrl(url, tls), log, tls),
  etcds: (url, tls, log) => new EtcdFleet(parseFleetUrl(url, tls), log, tls),
};

export function fleetBackend(url: string, tls: FleetTlsFiles, log: Logger): FleetBackend {
  const scheme = /^([a-z0-9+-]+):\/\//.exec(url)?.[1] ?? '';
  const make = BACKENDS[scheme];
  if (!make)
    throw new Error(
      `--fleet ${JSON.stringify(url)}: unknown fleet store ${JSON.stringify(scheme)} (valid: ${Object.keys(BACKENDS).join(', ')})`,
    );
  return make(url, tls, log);
}

/** The agent for a started daemon (call start()); throws on bad options, naming them. */
export function fleetAgent(daemon: Daemon, o: FleetOptions, log: Logger): FleetAgent {
  const host = o.host ?? hostname().split('.')[0];
  if (!HostName.safeParse(host).success)
    throw new Error(
      `--host-name ${JSON.stringify(host)}: not a host name (allowed: 1-64 of A-Z a-z 0-9 . _ -, not starting with a dot)`,
    );
  const labels = typeof o.labels === 'object' ? o.labels : parseLabels(o.labels);
  const backend = fleetBackend(o.url, o.tls ?? {}, log.child({ component: 'fleet' }));
  return new FleetAgent({
    host,
    labels,
    backend,
    daemon,
    stateDir: daemon.settings.stateDir,
    log: log.child({ component: 'fleet', host }),
    retryMs: o.retryMs,
  });
}

export { FleetAgent } from './agent.js';
