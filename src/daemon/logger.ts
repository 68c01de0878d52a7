import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';
import type { LogLevel } from '../model/index.js';

export type Logger = PinoLogger;
export type { LogLevel } from '../model/index.js';

/** The daemon's structured log (JSON lines to stderr unless a destination is given). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    { name: 'nicvisor', level, base: { pid: process.pid } },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that drops everything, whatever level it is later set to (tests, benches). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' }, { write() {} });
}
