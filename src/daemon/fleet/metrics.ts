/**
 * The agent's Prometheus lines, appended to the daemon's /metrics: how far behind the fleet
 * it is and how it got there. Text here rather than prom-client gauges because the values
 * are read from the agent at scrape time and the daemon's registry is not the agent's.
 */
import type { FleetAgentView } from '../../model/fleet.js';

export function fleetMetricsText(v: FleetAgentView): string {
  const lines: string[] = [];
  const add = (name: string, type: string, help: string, value: number) =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  add(
    'nicvisor_fleet_connected',
    'gauge',
    'The fleet store answers (1) or not (0).',
    v.connected ? 1 : 0,
  );
  add('nicvisor_fleet_revision', 'gauge', 'Fleet store revision last seen.', v.revision);
  add(
    'nicvisor_fleet_watch_lag_seconds',
    'gauge',
    'Last change: written to the fleet store until received here.',
    (v.watchLagMs ?? 0) / 1000,
  );
  add(
    'nicvisor_fleet_last_sync_timestamp_seconds',
    'gauge',
    'When the agent last applied the fleet desired state.',
    v.lastSyncAt ? Date.parse(v.lastSyncAt) / 1000 : 0,
  );
  add('nicvisor_fleet_resyncs_total', 'counter', 'Full reads of the desired state.', v.resyncs);
  add(
    'nicvisor_fleet_changes_total',
    'counter',
    'VF and PF changes applied from the fleet.',
    v.changes,
  );
  add(
    'nicvisor_fleet_refused_documents',
    'gauge',
    'Fleet documents this host refuses.',
    v.refused.length,
  );
  return `${lines.join('\n')}\n`;
}
