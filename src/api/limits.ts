/**
 * What a client can hold and where it must come from. Without these a body trickled one
 * byte every few seconds held its connection open for good (on the TCP listener without any
 * token too), so any client could pile up descriptors; and without a `Host` check a web page
 * the operator visits can reach the loopback dashboard through DNS rebinding.
 */
import { hostname, networkInterfaces } from 'node:os';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiError } from '../model/index.js';

export interface HttpLimits {
  /** The whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** The headers must arrive within this. */
  headersTimeoutMs: number;
  /** A connection with no traffic either way is closed after this (SSE beats every 15 s). */
  idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections per listener; more are refused at accept. */
  maxConnections: number;
  /** How often Node checks the request and header timeouts. */
  checkIntervalMs: number;
}

export const DEFAULT_LIMITS: HttpLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
  checkIntervalMs: 1_000,
};

/** The fastify and node:http options that enforce `l`. */
export function serverOptions(l: HttpLimits) {
  return {
    requestTimeout: l.requestTimeoutMs,
    connectionTimeout: l.idleTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    http: {
      headersTimeout: Math.min(l.headersTimeoutMs, l.requestTimeoutMs),
      connectionsCheckingInterval: l.checkIntervalMs,
    },
  };
}

/** `Host` names a TCP listener answers to by default: loopback, this host, its addresses. */
export function defaultAllowedHosts(listenHost: string): string[] {
  const out = new Set(['localhost', '127.0.0.1', '::1', hostname(), listenHost]);
  if (listenHost === '0.0.0.0' || listenHost === '::')
    for (const addrs of Object.values(networkInterfaces()))
      for (const a of addrs ?? []) out.add(a.address);
  return [...out];
}

/** The host part of a `Host` header (`[::1]:7710` → `::1`, `a.b:80` → `a.b`), lower case. */
export function hostOf(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : h.slice(1);
  }
  const colon = h.indexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

/** onRequest hook refusing a `Host` outside `allowed` (400 naming the header and the fix). */
export function hostHook(allowed: readonly string[]) {
  const ok = new Set(allowed.map((h) => h.toLowerCase()));
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const host = hostOf(req.headers.host ?? '');
    if (ok.has(host)) return;
    const body: ApiError = {
      error: `Host "${host}" is not one this listener answers to: add it to daemon.tcp.allowedHosts, or connect by one of ${[...ok].join(', ')}`,
      problems: [
        {
          file: req.url,
          field: 'Host',
          value: host,
          allowed: [...ok].join(', '),
          fix: 'add the name to daemon.tcp.allowedHosts',
          message: `Host "${host}" is not allowed on this listener`,
        },
      ],
    };
    return reply.code(400).send(body);
  };
}

/**
 * Fastify's own refusals of a URL (bad percent-encoding, a path segment over the router's
 * limit) answered like every other refusal: the field named, not a bare 400/414.
 */
export function frameworkErrors(
  err: Error & { code?: string },
  req: FastifyRequest,
  reply: FastifyReply,
) {
  const vf = /^\/v1\/vfs\//.test(req.url);
  const field = vf ? 'name' : '(url)';
  const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
  const what = tooLong ? 'a path segment is too long' : 'the URL is not valid percent-encoding';
  const allowed = vf
    ? '1-64 characters of A-Z a-z 0-9 . _ -, not starting with a dot'
    : 'a valid percent-encoded URL';
  const body: ApiError = {
    error: `${vf ? 'VF name' : 'URL'} refused: ${what}`,
    kind: 'invalid',
    problems: [
      {
        file: req.url.slice(0, 200),
        field,
        value: null,
        allowed,
        fix: tooLong
          ? 'use a VF name of at most 64 characters'
          : 'percent-encode the URL correctly (e.g. %2F, not %zz)',
        message: `${field}: ${what}`,
      },
    ],
  };
  return reply.code(400).send(body);
}
