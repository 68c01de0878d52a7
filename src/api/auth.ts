/**
 * Who is asking. On the Unix socket the socket's mode (0660, group) is the access control:
 * a caller without a token is an admin. On TCP every request needs a bearer token: the admin
 * token from the config, or a VF's guest token. A guest may only post guest requests for its
 * own VF (and read /healthz): 403 everywhere else.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Daemon } from '../daemon/service.js';

export type Principal = { kind: 'admin'; who: string } | { kind: 'guest'; vf: string; who: string };

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

export interface AuthOptions {
  /** 'socket': no token means admin; 'tcp': a token is required. */
  mode: 'socket' | 'tcp';
  adminToken: string | null;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1] : '';
}

/** Routes a guest may use: its own VF's requests, and the health check. */
function guestAllowed(req: FastifyRequest, vf: string): boolean {
  if (req.method === 'GET' && req.url === '/healthz') return true;
  const name = (req.params as { name?: string } | undefined)?.name;
  return req.method === 'POST' && req.routeOptions.url === '/v1/vfs/:name/requests' && name === vf;
}

/**
 * The dashboard's static files (HTML, CSS, JS — no data, no secrets) are public so a browser
 * can load the page and its login box; every API call the page makes carries the token.
 */
export function isPublicRoute(req: FastifyRequest): boolean {
  return (req.routeOptions.config as { public?: boolean } | undefined)?.public === true;
}

export function authHook(daemon: Daemon, opts: AuthOptions) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (isPublicRoute(req)) return;
    const token = bearer(req);
    if (token === null || token === '') {
      if (opts.mode === 'socket' && token === null) {
        req.principal = { kind: 'admin', who: 'admin:socket' };
        return;
      }
      return reply.code(401).header('www-authenticate', 'Bearer').send({
        error: 'a bearer token is required: pass --token (admin token or a VF guest credential)',
      });
    }
    if (opts.adminToken && sameSecret(token, opts.adminToken)) {
      req.principal = { kind: 'admin', who: `admin:${opts.mode}` };
      return;
    }
    const vf = daemon.guestFor(token);
    if (!vf)
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'the bearer token is not valid' });
    req.principal = { kind: 'guest', vf, who: `guest:${vf}` };
    if (!guestAllowed(req, vf)) {
      return reply.code(403).send({
        error: `guest credential of VF ${vf} may only post requests to /v1/vfs/${vf}/requests`,
      });
    }
  };
}
