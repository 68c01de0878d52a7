import type { Command } from 'commander';
import { formatProblem, type PfView, type Refusal, type VfView } from '../../model/index.js';
import type { ApiClient } from '../client.js';
import { type ConnectOptions, withClient, withConnection } from '../connect.js';
import { human, table } from '../format.js';
import { rulesTable } from './rules.js';

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

async function render(
  c: ApiClient,
  what: string,
  name: string | undefined,
  json: boolean,
): Promise<string> {
  if (what === 'rules') {
    if (!name) throw new Error('show rules needs a VF name: nicvisor show rules NAME [--json]');
    const rules = await c.vfRules(name);
    return json ? JSON.stringify(rules, null, 2) : rulesTable(rules);
  }
  if (what === 'pfs') {
    const pfs = await c.pfs();
    return json ? JSON.stringify(pfs, null, 2) : pfTable(pfs);
  }
  if (what === 'vfs' || what === 'all') {
    const vfs = await c.vfs();
    return json ? JSON.stringify(vfs, null, 2) : vfTable(vfs);
  }
  const vf = await c.vf(what);
  return json ? JSON.stringify(vf, null, 2) : vfDetail(vf);
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
  withConnection(
    program
      .command('show')
      .argument('[what]', 'pfs, vfs (default), a VF name, or rules', 'vfs')
      .argument('[name]', 'with rules: the VF whose eswitch rules to show')
      .description('show PFs, VFs (with counters), one VF, or the eswitch rules of a VF')
      .option('--json', 'print JSON')
      .option('--watch', 'refresh every --interval until interrupted')
      .option('--interval <ms>', 'refresh interval for --watch', '1000'),
  ).action(
    async (
      what: string,
      name: string | undefined,
      opts: ConnectOptions & { json?: boolean; watch?: boolean; interval: string },
    ) => {
      await withClient(opts, async (c) => {
        if (!opts.watch) {
          process.stdout.write(`${await render(c, what, name, !!opts.json)}\n`);
          await warnRefused(c);
          return;
        }
        const ms = Math.max(100, Number(opts.interval) || 1000);
        for (;;) {
          const out = await render(c, what, name, !!opts.json);
          process.stdout.write(`\x1b[H\x1b[2J${new Date().toISOString()}  ${c.target}\n${out}\n`);
          await new Promise((r) => setTimeout(r, ms));
        }
      });
    },
  );
}
