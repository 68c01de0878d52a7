/** What the API answers to a change: the outcome of each operation, or why it was refused. */
import { z } from 'zod';
import { LogLevel } from '../config.js';
import { Problem } from '../problem.js';
import { GuestRequest } from '../request.js';
import { PfView, VfView } from './views.js';

/**
 * What kind of refusal an error is: `invalid` (the request does not have the documented
 * shape), `notFound` (no such VF), `refused` (a well-formed change the policy rules refuse),
 * `limited` (rate limit), `unavailable` (the daemon is not running), `busy` (a VF stayed
 * locked by another operation).
 */
export const ErrorKind = z.enum([
  'invalid',
  'notFound',
  'refused',
  'limited',
  'unavailable',
  'busy',
]);
export type ErrorKind = z.infer<typeof ErrorKind>;

export const ApiError = z
  .object({
    error: z.string().describe('What went wrong, naming the object and the fix.'),
    kind: ErrorKind.optional().describe('Absent for errors of the HTTP layer itself.'),
    problems: z
      .array(Problem)
      .optional()
      .describe('Every problem found, when a change was refused.'),
  })
  .describe('Body of every 4xx/5xx answer.');
export type ApiError = z.infer<typeof ApiError>;

export const ChangeResult = z.object({
  changed: z.boolean().describe('false: the stored policy was already equal (idempotent PUT).'),
  revision: z.number().nullable(),
  vf: VfView.nullable(),
});
export type ChangeResult = z.infer<typeof ChangeResult>;

export const PfChangeResult = z.object({
  changed: z.boolean().describe('false: the PF policy was already equal (idempotent PUT).'),
  pf: PfView.nullable(),
  configFile: z
    .string()
    .nullable()
    .describe('The main config file rewritten with the change (null: the embedded demo).'),
});
export type PfChangeResult = z.infer<typeof PfChangeResult>;

export const ApplyResultView = z.object({
  added: z.array(z.string()),
  changed: z.array(z.string()),
  unchanged: z.array(z.string()),
  deleted: z.array(z.string()),
});
export type ApplyResultView = z.infer<typeof ApplyResultView>;

export const ValidateResult = z.object({
  ok: z.boolean(),
  problems: z.array(Problem),
});
export type ValidateResult = z.infer<typeof ValidateResult>;

export const GuestDecisionView = z.object({
  name: z.string(),
  request: GuestRequest,
  result: z.enum(['ack', 'nack']),
  reason: z.string(),
  revision: z.number().describe('Revision of the VF after the decision.'),
});
export type GuestDecisionView = z.infer<typeof GuestDecisionView>;

export const CredentialResult = z.object({
  name: z.string(),
  token: z.string().describe('Shown once; the daemon keeps only its hash.'),
});
export type CredentialResult = z.infer<typeof CredentialResult>;

export const LogLevelResult = z.object({ level: LogLevel, previous: LogLevel });
export type LogLevelResult = z.infer<typeof LogLevelResult>;

export const ReloadResult = z.object({
  added: z.array(z.string()),
  removed: z.array(z.string()),
  changed: z.array(z.string()),
  mainChanged: z.boolean(),
});
export type ReloadResult = z.infer<typeof ReloadResult>;

export const DeleteResult = z.object({ deleted: z.string() });
export type DeleteResult = z.infer<typeof DeleteResult>;
