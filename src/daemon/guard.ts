/**
 * The last line of defence: a promise rejection or exception that nothing caught is logged
 * loudly and the daemon keeps serving. Node's default ends the process on an unhandled
 * rejection, which let one bad hook argv (a NUL byte) take the daemon down; every known
 * path now catches its own errors, and this guard makes an unknown one a log line.
 */
import type { Logger } from './logger.js';

export function installProcessGuard(log: Logger): () => void {
  const rejected = (reason: unknown) => {
    log.error(
      { err: reason },
      'BUG: unhandled promise rejection; the daemon keeps running (please report this log line)',
    );
  };
  const thrown = (err: Error, origin: string) => {
    log.error(
      { err, origin },
      'BUG: uncaught exception; the daemon keeps running (please report this log line)',
    );
  };
  process.on('unhandledRejection', rejected);
  process.on('uncaughtException', thrown);
  return () => {
    process.off('unhandledRejection', rejected);
    process.off('uncaughtException', thrown);
  };
}
