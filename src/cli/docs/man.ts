/** `nicvisor man`: the nicvisor(1) man page in roff, generated from the command tree. */
import type { CommandSpec, OptionSpec, ProgramSpec } from './spec.js';

/**
 * Escape text for roff: backslashes, hyphens (so they copy as ASCII), leading dots, and any
 * character outside ASCII as a groff Unicode escape (`…` → `\[u2026]`): troff reads bytes
 * and warns on UTF-8.
 */
export function roff(s: string): string {
  return (
    s
      .replace(/\\/g, '\\e')
      .replace(/-/g, '\\-')
      // `a|b|c` lists may break after a bar (\: is a zero-width break point).
      .replace(/\|/g, '|\\:')
      .replace(/[^\x00-\x7f]/gu, (c) => {
        const hex = (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
        return `\\[u${hex}]`;
      })
      .split('\n')
      .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
      .join('\n')
  );
}

function options(list: OptionSpec[]): string[] {
  return list.flatMap((o) => ['.TP', `.B ${roff(o.flags)}`, roff(o.description)]);
}

function command(spec: ProgramSpec, c: CommandSpec): string[] {
  const lines = [
    '.SS',
    `.B ${roff(`${spec.name} ${c.name}`)} ${roff(c.usage)}`,
    roff(c.description),
  ];
  if (c.args.length > 0)
    lines.push(
      '.RS',
      ...c.args.flatMap((a) => ['.TP', `.I ${roff(a.name)}`, roff(a.description || a.name)]),
      '.RE',
    );
  if (c.options.length > 0) lines.push('.RS', ...options(c.options), '.RE');
  if (c.after) lines.push('.RS', '.sp', '.nf', roff(c.after), '.fi', '.RE');
  return lines;
}

export interface ManExtras {
  examples: readonly (readonly [string, string])[];
  exitCodes: readonly (readonly [string, string])[];
  environment: readonly (readonly [string, string])[];
  files: readonly (readonly [string, string])[];
  date: string;
}

export function manPage(spec: ProgramSpec, x: ManExtras): string {
  const tp = (rows: readonly (readonly [string, string])[]) =>
    rows.flatMap(([a, b]) => ['.TP', `.B ${roff(a)}`, roff(b)]);
  return [
    `.TH ${spec.name.toUpperCase()} 1 "${x.date}" "${spec.name} ${spec.version}" "User Commands"`,
    '.SH NAME',
    `${spec.name} \\- ${roff(spec.description)}`,
    '.SH SYNOPSIS',
    `.B ${spec.name}`,
    '[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]',
    '.SH DESCRIPTION',
    roff(
      `${spec.name} owns the policy of every SR-IOV virtual function (VF) of the host: it programs the NIC, keeps the settings there, and answers guests' requests against the policy. ` +
        `"${spec.name} serve" runs the daemon; every other command talks to its API over the Unix socket (or TCP with a token), except validate and import-vfd, which work offline.`,
    ),
    '.SH GLOBAL OPTIONS',
    ...options(spec.globals),
    '.SH COMMANDS',
    ...spec.commands.flatMap((c) => command(spec, c)),
    '.SH EXAMPLES',
    ...x.examples.flatMap(([cmd, what]) => ['.TP', `.B ${roff(cmd)}`, roff(what)]),
    '.SH EXIT STATUS',
    ...tp(x.exitCodes),
    '.SH ENVIRONMENT',
    ...tp(x.environment),
    '.SH FILES',
    ...tp(x.files),
    '.SH SEE ALSO',
    '.BR ip-link (8),',
    '.BR devlink (8),',
    '.BR systemctl (1)',
    '',
  ].join('\n');
}
