import type { VfRulesView } from '../../model/index.js';
import { formatAction, formatMatch } from '../../policy/eswitch/format.js';
import { human, table } from '../format.js';

/**
 * `nicvisor show rules NAME`: the VF's eswitch rules in tc's words, one per line, with live
 * counters and where the NIC runs them (`in_hw`: offloaded; `sw`: the kernel's software
 * datapath).
 */
export function rulesTable(v: VfRulesView): string {
  const head = `${v.name}: ${v.pf} vf ${v.vf} (port ${v.port}), eswitch ${v.eswitchMode}`;
  if (v.note) return `${head}\n${v.note}`;
  const rows = v.rules.map((r) => [
    r.port,
    String(r.chain),
    String(r.prio),
    formatMatch(r.match)
      .replace(/ flower$/, '')
      .replace(' flower ', ' '),
    r.actions.map(formatAction).join('; '),
    human(r.packets),
    human(r.bytes),
    human(r.drops),
    r.inHw ? 'in_hw' : 'sw',
    `${r.why}${r.counter ? ` [${r.counter}]` : ''}`,
  ]);
  const header = [
    'PORT',
    'CHAIN',
    'PRIO',
    'MATCH',
    'ACTIONS',
    'PKTS',
    'BYTES',
    'DROPS',
    'HW',
    'WHY',
  ];
  return `${head}, ${v.rules.length} rules\n${table(header, rows)}`;
}
