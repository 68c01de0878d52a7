/**
 * Running the daemon: resolve where state and socket go, start the daemon and its API,
 * wire SIGHUP (reload) and SIGTERM/SIGINT (clean stop).
 */
import { accessSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ApiServer } from '../api/server.js';
import { createLogger } from '../daemon/logger.js';
import { Daemon } from '../daemon/service.js';
import { demoHome } from './connect.js';

export interface ServeOptions {
  config?: string;
  stateDir?: string;
  socket?: string;
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
  const log = createLogger('info');
  const paths = resolvePaths(opts);
  const daemon = new Daemon({
    configFile: opts.config ? resolve(opts.config) : null,
    stateDir: paths.stateDir,
    log,
  });
  await daemon.start();
  const s = daemon.settings;
  const socket = paths.socket ?? s.socket;
  if (!writable(dirname(socket)) && !paths.socket && process.getuid?.() !== 0) {
    log.warn({ socket }, 'socket directory not writable: run as root or pass --socket PATH');
  }
  const server = new ApiServer(daemon, {
    socket,
    socketGroup: s.socketGroup,
    tcp: s.tcp,
    bodyLimit: s.bodyLimitBytes,
  });
  try {
    await server.start();
  } catch (err) {
    await daemon.stop();
    throw err;
  }
  if (paths.note) log.info(paths.note);
  log.info({ listen: server.addresses }, 'API ready');
  const where = server.addresses.map((a) => (a.startsWith('http') ? a : `unix:${a}`)).join(' and ');
  process.stdout.write(
    `nicvisor: API on ${where}\n  try: nicvisor show --socket ${socket}\n` +
      (server.addresses[1] ? `  dashboard: ${server.addresses[1]}/ (bearer token)\n` : ''),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await server.stop();
    await daemon.stop();
    log.flush();
    process.exit(0);
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
}
