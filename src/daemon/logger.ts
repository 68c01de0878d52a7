import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';
import type { LogLevel } from '../model/index.js';
import { prettyDestination } from './log-format.js';

export type Logger = PinoLogger;
export type { LogLevel } from '../model/index.js';

/** `json`: pino's JSON lines (journald, log shippers); `pretty`: readable lines (a terminal). */
export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: LogFormat[] = ['json', 'pretty'];

/** Readable on a terminal, JSON when stderr is a pipe, a file or the journal. */
export function defaultLogFormat(): LogFormat {
  return process.stderr.isTTY ? 'pretty' : 'json';
}

/** The daemon's structured log (to stderr unless a destination is given). */
export function createLogger(
  level: LogLevel,
  destination?: DestinationStream,
  format: LogFormat = 'json',
): Logger {
  const out =
    destination ??
    (format === 'pretty'
      ? prettyDestination(process.stderr.hasColors?.() ?? false)
      : pino.destination({ fd: 2, sync: false }));
  return pino({ name: 'nicvisor', level, base: { pid: process.pid } }, out);
}

/** A logger that drops everything, whatever level it is later set to (tests, benches). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' }, { write() {} });
}
