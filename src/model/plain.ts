/**
 * The model's values that need no schema: what the CLI's start path uses (option choices,
 * error text). Every other module of the model builds zod schemas when it loads, and zod/v4
 * is 94 modules (its locales included): `nicvisor --version` and shell completion loaded
 * them all only for these (bench/cli.ts). The barrel (index.ts) re-exports all of them.
 */
import type { Problem } from './problem.js';
import type { GuestRequestType } from './request.js';
import type { DaemonEventType } from './wire/events.js';

/** Levels of the daemon's log (pino's names); `LogLevel` in config.ts is their schema. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** Every guest request type, in the order `nicvisor request` lists them. */
export const GUEST_REQUEST_TYPES: GuestRequestType[] = [
  'setMac',
  'addMac',
  'delMac',
  'addVlan',
  'delVlan',
  'setMtu',
  'setPromisc',
  'setAllmulti',
  'setMulticastList',
  'reset',
];

/** The `type` of every event of GET /v1/events (wire/events.ts checks it at compile time). */
export const DAEMON_EVENT_TYPES = [
  'audit',
  'vfStatus',
  'vfChanged',
  'stats',
  'lag',
  'claim',
  'reload',
] as const satisfies readonly DaemonEventType[];

/** Renders a problem the way the CLI and logs print it. */
export function formatProblem(p: Problem): string {
  return `${p.file}: ${p.field}: ${p.message} (allowed: ${p.allowed}; fix: ${p.fix})`;
}

/** A JSON object (not an array, not null): what every nicvisor document and body is. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
