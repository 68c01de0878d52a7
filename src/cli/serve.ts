/**
 * Running the daemon: resolve where state and socket go, start the daemon and its API,
 * wire SIGHUP (reload) and SIGTERM/SIGINT (clean stop).
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { ApiServer, type ListenOptions } from '../api/server.js';
import type { FleetAgent } from '../daemon/fleet/index.js';
import { installProcessGuard } from '../daemon/guard.js';
import { createLogger, defaultLogFormat, type LogFormat } from '../daemon/logger.js';
import { settleMemory, settleWhenIdle } from '../daemon/memory.js';
import { Daemon } from '../daemon/service.js';
import { demoHome } from './connect.js';

/** How often the daemon checks whether a busy stretch has ended (memory.ts, IdleSettle). */
const IDLE_CHECK_MS = 2000;

export interface ServeOptions {
  config?: string;
  stateDir?: string;
  socket?: string;
  logFormat?: LogFormat;
  /** Fleet mode: the desired state comes from this store (`etcd://…`). */
  fleet?: string;
  fleetCa?: string;
  fleetCert?: string;
  fleetKey?: string;
  hostName?: string;
  labels?: string;
}

type TcpOptions = NonNullable<ListenOptions['tcp']>;

/** Port of the demo's dashboard listener (any free port when it is taken). */
export const DEMO_HTTP_PORT = 7710;

/**
 * The demo opens the dashboard on loopback with a fresh random token (printed in the URL's
 * fragment, which the browser keeps to itself), so `npm start` gives a clickable link.
 */
function demoTcp(): TcpOptions {
  return { host: '127.0.0.1', port: DEMO_HTTP_PORT, token: randomBytes(24).toString('base64url') };
}

/** Whether host:port can be bound now (the demo checks before it starts anything). */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * Start the API once. A demo whose default port is taken (another demo) takes any free
 * port: checked before starting, so the socket listener is not started, stopped and started
 * again (which logged "Server listening" twice for it).
 */
async function listen(daemon: Daemon, opts: ListenOptions, demo: boolean): Promise<ApiServer> {
  let o = opts;
  if (demo && o.tcp && o.tcp.port !== 0 && !(await portFree(o.tcp.host, o.tcp.port)))
    o = { ...o, tcp: { ...o.tcp, port: 0 } };
  const server = new ApiServer(daemon, o);
  try {
    await server.start();
    return server;
  } catch (err) {
    await server.stop();
    throw err;
  }
}

function banner(server: ApiServer, socket: string, tcp: TcpOptions | undefined, demo: boolean) {
  const where = server.addresses.map((a) => (a.startsWith('http') ? a : `unix:${a}`)).join(' and ');
  const http = server.addresses[1];
  let dashboard = '';
  if (http && demo && tcp?.token) dashboard = `  dashboard: ${http}/#token=${tcp.token}\n`;
  else if (http) dashboard = `  dashboard: ${http}/ (log in with the daemon.tcp token)\n`;
  return `nicvisor: API on ${where}\n  try: nicvisor show --socket ${socket}\n${dashboard}`;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * With a config file its settings rule (flags override). Without one the embedded demo runs
 * with its state and socket under ./.nicvisor/ (or the temp dir when the working directory is
 * not writable), so `npm start` works as any user and never writes demo policies into
 * /var/lib/nicvisor.
 */
export function resolvePaths(opts: ServeOptions): {
  stateDir?: string;
  socket?: string;
  note?: string;
} {
  if (opts.config) return { stateDir: opts.stateDir, socket: opts.socket };
  const home = demoHome();
  const stateDir = opts.stateDir ?? join(home, 'state');
  const socket = opts.socket ?? join(home, 'nicvisor.sock');
  return {
    stateDir,
    socket,
    note: `demo mode (no --config): state in ${stateDir}, API socket ${socket}`,
  };
}

export async function serve(opts: ServeOptions): Promise<void> {
  const log = createLogger('info', undefined, opts.logFormat ?? defaultLogFormat());
  installProcessGuard(log);
  const paths = resolvePaths(opts);
  const daemon = new Daemon({
    configFile: opts.config ? resolve(opts.config) : null,
    stateDir: paths.stateDir,
    log,
  });
  await daemon.start();
  let agent: FleetAgent | null = null;
  if (opts.fleet) {
    try {
      // Loaded only in fleet mode: the etcd client (gRPC) is for agents only.
      const { fleetAgent } = await import('../daemon/fleet/index.js');
      agent = fleetAgent(
        daemon,
        {
          url: opts.fleet,
          tls: { ca: opts.fleetCa, cert: opts.fleetCert, key: opts.fleetKey },
          host: opts.hostName,
          labels: opts.labels,
        },
        log,
      );
      await agent.start();
      daemon.fleetAgent = agent;
    } catch (err) {
      await daemon.stop();
      throw err;
    }
  }
  const s = daemon.settings;
  const socket = paths.socket ?? s.socket;
  if (!writable(dirname(socket)) && !paths.socket && process.getuid?.() !== 0) {
    log.warn({ socket }, 'socket directory not writable: run as root or pass --socket PATH');
  }
  const demo = !opts.config;
  const tcp = s.tcp ?? (demo ? demoTcp() : undefined);
  let server: ApiServer;
  try {
    server = await listen(
      daemon,
      { socket, socketGroup: s.socketGroup, tcp, bodyLimit: s.bodyLimitBytes },
      demo,
    );
  } catch (err) {
    await agent?.stop();
    await daemon.stop();
    throw err;
  }
  if (paths.note) log.info(paths.note);
  log.info({ listen: server.addresses }, 'API ready');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    let code = 0;
    try {
      await server.stop();
      await agent?.stop();
      await daemon.stop();
    } catch (err) {
      log.error({ err }, 'stopping failed');
      code = 1;
    }
    log.flush();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    daemon.reload('signal:SIGHUP').then(
      (r) => log.info({ result: r }, 'reloaded on SIGHUP'),
      (err: Error) =>
        log.error(
          { error: err.message },
          'reload on SIGHUP refused; running configuration unchanged',
        ),
    );
  });
  // The start's garbage goes before the banner, so whoever waits for it sees the steady RSS.
  const mem = settleMemory();
  log.debug(
    { rssBefore: mem.rssBefore, rssAfter: mem.rssAfter, ms: mem.ms },
    'start garbage collected',
  );
  // And again whenever a busy stretch has ended, or the heap has grown while quiet (the
  // interval is unref'd: it keeps no one up).
  settleWhenIdle(IDLE_CHECK_MS, mem.heapUsedAfter, (r) =>
    log.debug(
      { trigger: r.trigger, rssBefore: r.rssBefore, rssAfter: r.rssAfter, ms: r.ms },
      'idle: garbage collected',
    ),
  );
  // Last: whoever waits for the banner may signal us at once (the handlers are in place).
  process.stdout.write(banner(server, socket, tcp, demo));
}
