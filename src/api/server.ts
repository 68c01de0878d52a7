/**
 * The HTTP API: one fastify instance per listener (Unix socket, optional TCP), the same
 * routes on each, with the listener's own authentication mode.
 */
import { readFile } from 'node:fs/promises';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import type { Daemon } from '../daemon/service.js';
import { type AuthOptions, authHook } from './auth.js';
import { errorHandler } from './errors.js';
import { strictJsonBodies } from './json-body.js';
import {
  DEFAULT_LIMITS,
  defaultAllowedHosts,
  frameworkErrors,
  type HttpLimits,
  hostHook,
  serverOptions,
} from './limits.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { eventRoutes } from './routes/events.js';
import { fleetRoutes } from './routes/fleet.js';
import { metricsRoutes } from './routes/metrics.js';
import { pfRoutes } from './routes/pfs.js';
import { poolRoutes } from './routes/pools.js';
import { systemRoutes } from './routes/system.js';
import { vfRoutes } from './routes/vfs.js';
import { clearStaleSocket, listenPrivately, removeOwnSocket, socketDir } from './socket.js';

/**
 * Bodies are checked with the zod schemas of src/model (bodies.ts) and answers are plain
 * JSON.stringify, never fastify route schemas; fastify's default compilers (ajv and
 * fast-json-stringify, ~100 modules, required at Fastify()) would only cost memory: ~2 MiB RSS
 * in the spawned daemon of 512 sim VFs (bench/daemon.ts). These stand in for them: a route
 * that declares a schema fails when it is set up, saying what to do instead.
 */
function refuseSchema(route: FastifyRouteSchemaDef<unknown>): never {
  throw new Error(
    `route ${route.method} ${route.url}: fastify ${route.httpPart ?? 'response'} schemas are not used here; check the body with a zod schema of src/model (api/bodies.ts)`,
  );
}
type Compilers = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>;
// fastify types its factories after ajv's own compile signature; what it calls them with is a
// FastifyRouteSchemaDef (lib/schema-controller.js), hence the casts.
const noRouteSchemas: Compilers = {
  buildValidator: (() => refuseSchema) as unknown as Compilers['buildValidator'],
  buildSerializer: (() => refuseSchema) as unknown as Compilers['buildSerializer'],
};

export type RouteModule = (app: FastifyInstance, daemon: Daemon) => void;

/** Route modules. */
export const ROUTES: RouteModule[] = [
  systemRoutes,
  vfRoutes,
  pfRoutes,
  eventRoutes,
  metricsRoutes,
  dashboardRoutes,
  poolRoutes,
  fleetRoutes,
];

export interface AppOptions {
  limits?: Partial<HttpLimits>;
  /** `Host` names accepted (TCP); undefined: any (the Unix socket has no Host to trust). */
  allowedHosts?: readonly string[];
}

export function buildApp(
  daemon: Daemon,
  auth: AuthOptions,
  bodyLimit: number,
  opts: AppOptions = {},
): FastifyInstance {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const app = Fastify({
    ...serverOptions(limits),
    frameworkErrors,
    loggerInstance: daemon.log.child({
      component: 'api',
      listener: auth.mode,
    }) as FastifyBaseLogger,
    // One log line per request would cost more than a guest decision; errors still log.
    logController: new LogController({ disableRequestLogging: true }),
    // req.log is the listener's logger itself: a pino child per request (for its reqId
    // binding) was ~1.7 % of a guest request's CPU (bench/daemon.ts, CPU profile). The lines
    // logged per request (errors.ts, routes/events.ts) name their reqId themselves.
    childLoggerFactory: (logger) => logger,
    bodyLimit,
    // Longer than any legal VF name (64), so an over-long name reaches vfName() and gets a
    // message naming the field instead of fastify's bare 400.
    routerOptions: { maxParamLength: 1024 },
    forceCloseConnections: true,
    return503OnClosing: true,
    schemaController: { compilersFactory: noRouteSchemas },
  });
  app.server.maxConnections = limits.maxConnections;
  app.decorateRequest('principal', null as unknown as never);
  strictJsonBodies(app);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: `no route ${req.method} ${req.url}: see GET /v1/openapi.json` });
  });
  if (opts.allowedHosts) app.addHook('onRequest', hostHook(opts.allowedHosts));
  app.addHook('onRequest', authHook(daemon, auth));
  for (const r of ROUTES) r(app, daemon);
  return app;
}

export interface ListenOptions {
  socket: string;
  socketGroup?: string;
  tcp?: {
    host: string;
    port: number;
    token?: string;
    tokenFile?: string;
    allowedHosts?: string[];
  };
  bodyLimit: number;
  limits?: Partial<HttpLimits>;
}

async function adminToken(tcp: NonNullable<ListenOptions['tcp']>): Promise<string> {
  const token = tcp.token ?? (tcp.tokenFile ? (await readFile(tcp.tokenFile, 'utf8')).trim() : '');
  if (token.length < 16) {
    throw new Error(
      'the TCP listener needs a bearer token of at least 16 characters: set daemon.tcp.token or daemon.tcp.tokenFile (or remove daemon.tcp)',
    );
  }
  return token;
}

async function groupId(name: string): Promise<number> {
  if (/^\d+$/.test(name)) return Number(name);
  const line = (await readFile('/etc/group', 'utf8'))
    .split('\n')
    .find((l) => l.split(':')[0] === name);
  if (!line)
    throw new Error(
      `socket group "${name}" does not exist (daemon.socketGroup); create it or fix the name`,
    );
  return Number(line.split(':')[2]);
}

export class ApiServer {
  private readonly daemon: Daemon;
  private readonly opts: ListenOptions;
  private apps: FastifyInstance[] = [];
  /** Inode of the socket this server created (null: none yet). */
  private socketIno: number | null = null;
  /** Where it listens (socket path, and `http://host:port` when TCP is on). */
  readonly addresses: string[] = [];

  constructor(daemon: Daemon, opts: ListenOptions) {
    this.daemon = daemon;
    this.opts = opts;
  }

  async start(): Promise<void> {
    const { socket, socketGroup, tcp, bodyLimit } = this.opts;
    // Refuse TCP without a token before opening anything.
    const token = tcp ? await adminToken(tcp) : null;
    const gid = socketGroup ? await groupId(socketGroup) : null;
    await socketDir(socket, gid);
    await clearStaleSocket(socket);
    const { limits } = this.opts;
    const unix = buildApp(this.daemon, { mode: 'socket', adminToken: token }, bodyLimit, {
      limits,
    });
    this.apps.push(unix);
    this.socketIno = await listenPrivately(socket, gid, (path) =>
      // Bound in a private directory, then renamed: log the path clients use.
      unix.listen({ path, listenTextResolver: () => `Server listening at ${socket}` }),
    );
    this.addresses.push(socket);
    if (tcp && token) {
      const allowedHosts = tcp.allowedHosts ?? defaultAllowedHosts(tcp.host);
      const app = buildApp(this.daemon, { mode: 'tcp', adminToken: token }, bodyLimit, {
        limits,
        allowedHosts,
      });
      const addr = await app.listen({ host: tcp.host, port: tcp.port });
      this.apps.push(app);
      this.addresses.push(addr);
    }
  }

  async stop(): Promise<void> {
    for (const app of this.apps.reverse()) await app.close();
    this.apps = [];
    await removeOwnSocket(this.opts.socket, this.socketIno);
    this.socketIno = null;
  }
}
