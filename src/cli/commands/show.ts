import type { Command } from 'commander';
import type { LagView, PfView, Refusal, VfView } from '../../model/index.js';
import { formatProblem } from '../../model/plain.js';
import type { ApiClient } from '../client.js';
import { type ConnectOptions, withClient } from '../connect.js';
import { human, table } from '../format.js';
import { CliError, EXIT } from '../output.js';
import { rulesTable } from './rules.js';
import { statsTables } from './stats.js';

/** One row per VF, like VFd's `iplex show all`, with counters. */
export function vfTable(vfs: VfView[]): string {
  return table(
    [
      'NAME',
      'PF',
      'VF',
      'STATE',
      'REV',
      'MAC',
      'VLANS',
      'LINK',
      'RX_PKTS',
      'RX_BYTES',
      'TX_PKTS',
      'TX_BYTES',
      'DROPS',
      'SPOOF',
      'MIRROR',
      'ERROR',
    ],
    vfs.map((v) => {
      const c = v.counters;
      const s = v.observed ?? v.desired;
      const mirror = v.policy.mirror
        ? `${v.policy.mirror.direction}->${v.policy.mirror.target}`
        : '-';
      return [
        v.name,
        v.pf,
        String(v.vf),
        v.status.syncState,
        `${v.status.appliedRevision ?? '-'}/${v.revision}`,
        s.mac,
        s.untagged ? 'untagged' : s.vlans.join(',') || '-',
        v.linkUp === null ? '-' : v.linkUp ? 'up' : 'down',
        human(c?.rxPackets),
        human(c?.rxBytes),
        human(c?.txPackets),
        human(c?.txBytes),
        human(c ? c.rxDropped + c.txDropped : null),
        human(c?.spoofed),
        mirror,
        v.status.lastError ?? '',
      ];
    }),
  );
}

export function pfTable(pfs: PfView[]): string {
  return table(
    [
      'PF',
      'DRIVER',
      'NETDEV',
      'LINK',
      'SPEED',
      'VFS',
      'MTU',
      'LOOPBACK',
      'QOS',
      'RX_PKTS',
      'TX_PKTS',
      'MANAGED',
    ],
    pfs.map((p) => [
      p.id,
      p.driver,
      p.netdev ?? '-',
      p.linkUp ? 'up' : 'down',
      `${p.linkSpeedMbps}M`,
      `${p.numVfs}/${p.totalVfs}`,
      String(p.mtu),
      p.loopback ? 'on' : 'off',
      p.trafficClasses.length ? p.trafficClasses.join('/') : '-',
      human(p.counters?.rxPackets),
      human(p.counters?.txPackets),
      p.managed ? 'yes' : 'no',
    ]),
  );
}

/** One row per LAG member: mode, link, whether it carries traffic, failures, failovers. */
export function lagTable(lags: LagView[]): string {
  const rows = lags.flatMap((l) => {
    const o = l.observed;
    const last = o?.lastFailoverMs == null ? '-' : `${o.lastFailoverMs.toFixed(1)}ms`;
    const sync = o === null ? 'absent' : l.inSync ? 'in-sync' : 'differs';
    return l.policy.members.map((pf, i) => {
      const m = o?.members.find((x) => x.pf === pf);
      return [
        i === 0 ? l.name : '',
        i === 0 ? `${l.policy.mode}${l.policy.vfLag ? ' vf-lag' : ''}` : '',
        i === 0 ? sync : '',
        pf,
        m ? (m.linkUp ? 'up' : 'down') : '-',
        m ? (m.active ? 'yes' : 'no') : '-',
        m ? String(m.linkFailures) : '-',
        human(m?.txPackets),
        human(m?.rxPackets),
        i === 0 && o ? String(o.failovers) : '',
        i === 0 ? last : '',
        i === 0 && o ? String(o.lostFrames ?? '-') : '',
      ];
    });
  });
  return table(
    [
      'LAG',
      'MODE',
      'STATE',
      'MEMBER',
      'LINK',
      'ACTIVE',
      'FAILURES',
      'TX_PKTS',
      'RX_PKTS',
      'FAILOVERS',
      'LAST',
      'LOST',
    ],
    rows,
  );
}

function vfDetail(v: VfView): string {
  const lines = [
    `name:      ${v.name}`,
    `pf/vf:     ${v.pf} vf ${v.vf}${v.netdev ? ` (${v.netdev})` : ''}`,
    `status:    ${v.status.syncState} (applied ${v.status.appliedRevision ?? '-'} of revision ${v.revision}, ${v.status.repairs} repairs)`,
  ];
  if (v.switchPort) {
    const sp = v.switchPort;
    lines.push(
      `port:      representor ${sp.representor}, devlink ${sp.devlinkPort ?? '-'}, switch ${sp.switchId ?? '-'} (via ${sp.via})`,
    );
  }
  if (v.status.lastError) lines.push(`error:     ${v.status.lastError}`);
  lines.push(
    `guest:     ${JSON.stringify(v.guest)}`,
    `mirror:    ${JSON.stringify(v.mirror)}`,
    'settings:  field: desired / observed',
  );
  for (const [k, d] of Object.entries(v.desired)) {
    const o = v.observed ? (v.observed as unknown as Record<string, unknown>)[k] : undefined;
    const mark = JSON.stringify(d) === JSON.stringify(o) ? ' ' : '*';
    lines.push(
      `  ${mark} ${k}: ${JSON.stringify(d)} / ${o === undefined ? '-' : JSON.stringify(o)}`,
    );
  }
  if (v.counters)
    lines.push(
      `counters:  ${Object.entries(v.counters)
        .map(([k, n]) => `${k}=${n}`)
        .join(' ')}`,
    );
  return lines.join('\n');
}

/** What `show` prints: the API's answer, and its human form. */
async function fetchView(
  c: ApiClient,
  what: string,
  name: string | undefined,
): Promise<{ value: unknown; human: () => string }> {
  if (what === 'rules') {
    if (!name)
      throw new CliError('show rules needs a VF name: nicvisor show rules NAME', EXIT.usage);
    const rules = await c.vfRules(name);
    return { value: rules, human: () => rulesTable(rules) };
  }
  if (name !== undefined)
    throw new CliError(
      `show ${what} takes no second argument (got "${name}"); only \`show rules NAME\` does`,
      EXIT.usage,
    );
  if (what === 'pfs') {
    const pfs = await c.pfs();
    return { value: pfs, human: () => pfTable(pfs) };
  }
  if (what === 'lags') {
    const lags = await c.lags();
    return { value: lags, human: () => lagTable(lags) };
  }
  if (what === 'stats') {
    const stats = await c.stats();
    return { value: stats, human: () => statsTables(stats) };
  }
  if (what === 'vfs' || what === 'all') {
    const vfs = await c.vfs();
    return { value: vfs, human: () => vfTable(vfs) };
  }
  const vf = await c.vf(what);
  return { value: vf, human: () => vfDetail(vf) };
}

/**
 * --watch: on a terminal, redraw in place; to a pipe or file, append one frame after the
 * other (a header line per frame, or one JSON line per frame with --json) and never write
 * screen-control codes.
 */
async function watch(
  c: ApiClient,
  what: string,
  name: string | undefined,
  json: boolean,
  ms: number,
): Promise<never> {
  const tty = process.stdout.isTTY === true;
  for (;;) {
    const view = await fetchView(c, what, name);
    const stamp = `${new Date().toISOString()}  ${c.target}`;
    if (json) process.stdout.write(`${JSON.stringify(view.value)}\n`);
    else if (tty) process.stdout.write(`\x1b[H\x1b[2J${stamp}\n${view.human()}\n`);
    else process.stdout.write(`--- ${stamp}\n${view.human()}\n`);
    await new Promise((r) => setTimeout(r, ms));
  }
}

/** The warning `show` prints (stderr) while the daemon runs its last committed configuration. */
export function refusedWarning(refused: Refusal): string {
  const lines = refused.problems.map((p) => `  - ${formatProblem(p)}`);
  return (
    `warning: since ${refused.since} the daemon runs its last committed configuration; ` +
    `these files were refused (fix them and run \`nicvisor reload\`):\n${lines.join('\n')}\n`
  );
}

async function warnRefused(c: ApiClient): Promise<void> {
  const { refused } = await c.health();
  if (refused) process.stderr.write(refusedWarning(refused));
}

export function register(program: Command): void {
  program
    .command('show')
    .argument('[what]', 'vfs (default), pfs, lags, stats, a VF name, or rules', 'vfs')
    .argument('[name]', 'with rules: the VF whose eswitch rules to show')
    .description(
      'show VFs (with counters), PFs, LAGs, all counters (stats), one VF, or the eswitch rules of a VF',
    )
    .option('--watch', 'refresh every --interval until interrupted')
    .option('--interval <ms>', 'refresh interval for --watch', '1000')
    .addHelpText(
      'after',
      '\nExamples:\n  $ nicvisor show\n  $ nicvisor show pfs\n  $ nicvisor show stats --json\n  $ nicvisor show web-1\n  $ nicvisor show rules edge-1\n  $ nicvisor show --watch --interval 500',
    )
    .action(
      async (
        what: string,
        name: string | undefined,
        opts: ConnectOptions & { watch?: boolean; interval: string },
      ) => {
        const ms = Number(opts.interval);
        if (!Number.isInteger(ms) || ms < 100)
          throw new CliError(
            `--interval ${opts.interval} is not a whole number of milliseconds of at least 100`,
            EXIT.usage,
          );
        await withClient(opts, async (c) => {
          if (opts.watch) await watch(c, what, name, !!opts.json, ms);
          const view = await fetchView(c, what, name);
          process.stdout.write(
            `${opts.json ? JSON.stringify(view.value, null, 2) : view.human()}\n`,
          );
          await warnRefused(c);
        });
      },
    );
}
