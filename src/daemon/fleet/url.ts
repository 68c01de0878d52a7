/**
 * `--fleet etcd://HOST:PORT[,HOST:PORT…][/PREFIX]` (`etcds://` for TLS): where the fleet
 * store is. TLS files (CA, client certificate and key) come from their own options; they are
 * read here so a missing file is an error at start, naming the option.
 */
import { readFileSync } from 'node:fs';

export interface FleetTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface FleetUrl {
  endpoints: string[];
  /** Key prefix, ending in `/`. */
  prefix: string;
  tls: FleetTls | null;
}

export interface FleetTlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

const ENDPOINT_RE = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;

function readOption(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${option} ${path}: ${(err as Error).message} (fix: give a readable PEM file)`);
  }
}

export function parseFleetUrl(url: string, files: FleetTlsFiles = {}): FleetUrl {
  const m = /^(etcds?):\/\/([^/]+)(\/.*)?$/.exec(url);
  if (!m)
    throw new Error(
      `--fleet ${JSON.stringify(url)}: not a fleet URL (allowed: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] or etcds://… for TLS)`,
    );
  const endpoints = m[2].split(',');
  const bad = endpoints.filter((e) => !ENDPOINT_RE.test(e) || Number(e.split(':').pop()) > 65535);
  if (bad.length > 0)
    throw new Error(
      `--fleet ${JSON.stringify(url)}: endpoint${bad.length > 1 ? 's' : ''} ${bad.join(', ')} not HOST:PORT (port 1-65535)`,
    );
  const path = (m[3] ?? '/nicvisor').replace(/\/+$/, '');
  const prefix = `${path || '/nicvisor'}/`;
  const wantTls = m[1] === 'etcds' || Boolean(files.ca || files.cert || files.key);
  if ((files.cert && !files.key) || (files.key && !files.cert))
    throw new Error('--fleet-cert and --fleet-key go together (fix: give both, or neither)');
  const tls: FleetTls | null = wantTls
    ? {
        ...(files.ca ? { ca: readOption('--fleet-ca', files.ca) } : {}),
        ...(files.cert ? { cert: readOption('--fleet-cert', files.cert) } : {}),
        ...(files.key ? { key: readOption('--fleet-key', files.key) } : {}),
      }
    : null;
  return { endpoints, prefix, tls };
}

/** `--labels rack=r1,zone=a` → { rack: 'r1', zone: 'a' }. */
export function parseLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const part of text.split(',').filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0)
      throw new Error(
        `--labels ${JSON.stringify(part)}: not KEY=VALUE (e.g. --labels rack=r1,zone=a)`,
      );
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}
