import { z } from 'zod';
import { EswitchMode, MAX_VFS_PER_PF, MTU_MAX, MTU_MIN } from './common.js';
import { Lag } from './lag.js';
import { LOG_LEVELS } from './plain.js';
import { Pool } from './pools.js';

export const TrafficClass = z.strictObject({
  name: z.string().min(1).optional().describe('Label shown in the dashboard.'),
  bandwidth: z
    .number()
    .int()
    .min(0)
    .max(100)
    .describe(
      'Guaranteed share (%) of the PF’s link (its ETS weight); what a class leaves unused goes to the others. The classes of a PF sum to 100.',
    ),
  group: z
    .number()
    .int()
    .min(0)
    .max(7)
    .default(0)
    .describe('Bandwidth group: the classes of a group get each other’s unused bandwidth first.'),
  strictPriority: z
    .boolean()
    .default(false)
    .describe(
      'Served before every other class, with no bandwidth limit (it can starve them; cap its VFs with maxTxRate).',
    ),
});
export type TrafficClass = z.infer<typeof TrafficClass>;

export const PfPolicy = z
  .strictObject({
    pf: z
      .string()
      .min(1)
      .describe(
        'PF id: PCI address (`0000:08:00.0`) for the linux driver, `sim:NIC/PORT` for sim.',
      ),
    numVfs: z
      .number()
      .int()
      .min(0)
      .max(MAX_VFS_PER_PF)
      .describe('How many VFs to create; at most the PF’s total (`sriov_totalvfs`).'),
    totalVfs: z
      .number()
      .int()
      .min(1)
      .max(MAX_VFS_PER_PF)
      .optional()
      .describe('Override of the PF’s VF limit for devices that do not report one.'),
    mtu: z
      .number()
      .int()
      .min(MTU_MIN)
      .max(MTU_MAX)
      .default(1500)
      .describe('PF MTU; also the largest MTU any VF of it may use.'),
    loopback: z
      .boolean()
      .default(true)
      .describe('Switch VF-to-VF traffic inside the NIC (VEB); needed for mirroring.'),
    flowControl: z
      .enum(['none', 'rx', 'tx', 'both'])
      .default('none')
      .describe('802.3x pause frames on the uplink.'),
    qos: z
      .strictObject({
        trafficClasses: z
          .array(TrafficClass)
          .min(1)
          .max(8)
          .describe('The classes, index = class number (0 lowest priority).'),
      })
      .optional()
      .describe('Traffic classes of the uplink (DCB/ETS-like).'),
    oversubscribe: z
      .boolean()
      .default(false)
      .describe('Allow VF shares of one traffic class to sum past 100%.'),
    eswitchMode: EswitchMode.default('legacy').describe(
      'Embedded switch mode: `legacy` (the NIC’s VEB) or `switchdev` (representors; nicvisor compiles the VF policies into eswitch rules, TC flower, and programs them: `nicvisor show rules NAME`).',
    ),
    lag: z
      .string()
      .optional()
      .describe(
        'Name of the LAG (in `lags`) this PF is a member of; optional, the LAG’s `members` decide, but when given it must agree.',
      ),
  })
  .describe('Policy of one SR-IOV physical function (NIC port).');
export type PfPolicy = z.infer<typeof PfPolicy>;

/** Levels of the daemon's log (pino's names). */
export const LogLevel = z.enum(LOG_LEVELS);
export type LogLevel = z.infer<typeof LogLevel>;

export const SimNicSpec = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .describe('NIC name; its PFs are `sim:NAME/PORT`.'),
  ports: z.number().int().min(1).max(8).default(2).describe('PFs (ports) of the NIC.'),
  totalVfs: z
    .number()
    .int()
    .min(1)
    .max(MAX_VFS_PER_PF)
    .default(64)
    .describe('VFs each port offers (its `sriov_totalvfs`).'),
  linkSpeedMbps: z.number().int().min(1).default(25000).describe('Link speed of each port.'),
  numaNode: z
    .number()
    .int()
    .min(-1)
    .max(63)
    .default(0)
    .describe('NUMA node the NIC sits on (its sysfs `numa_node`; -1: no NUMA).'),
});

export const DaemonSettings = z
  .strictObject({
    stateDir: z
      .string()
      .default('/var/lib/nicvisor')
      .describe('Where VF policy files (`vfs/`), guest state and snapshots are kept.'),
    socket: z
      .string()
      .default('/run/nicvisor/nicvisor.sock')
      .describe('Unix socket of the API (mode 0660).'),
    socketGroup: z.string().optional().describe('Group that owns the API socket.'),
    tcp: z
      .strictObject({
        host: z.string().default('127.0.0.1').describe('Address to listen on.'),
        port: z.number().int().min(0).max(65535).default(7710).describe('TCP port.'),
        token: z.string().min(16).optional().describe('Bearer token (at least 16 characters).'),
        tokenFile: z.string().optional().describe('File holding the bearer token.'),
        allowedHosts: z
          .array(z.string().min(1))
          .optional()
          .describe(
            '`Host` header names the listener answers to (DNS rebinding defence). Default: localhost, 127.0.0.1, ::1, this host name and the listen address (every local address when it is 0.0.0.0 or ::).',
          ),
      })
      .optional()
      .describe(
        'Optional TCP listener for the API and dashboard; refuses to start without a token.',
      ),
    logLevel: LogLevel.default('info').describe(
      'Daemon log level; changeable at run time with `nicvisor log-level`.',
    ),
    auditLog: z
      .strictObject({
        path: z.string().optional().describe('Default: STATEDIR/audit.log.'),
        maxBytes: z
          .number()
          .int()
          .min(4096)
          .default(10 * 1024 * 1024)
          .describe('Rotate when the log reaches this size.'),
        keep: z.number().int().min(1).max(100).default(5).describe('Rotated logs to keep.'),
      })
      .default({ maxBytes: 10 * 1024 * 1024, keep: 5 })
      .describe('JSON-lines audit log of policy changes and guest decisions, rotated by size.'),
    driftIntervalMs: z
      .number()
      .int()
      .min(100)
      .default(5000)
      .describe('How often every VF is compared with its policy and repaired.'),
    statsIntervalMs: z
      .number()
      .int()
      .min(100)
      .default(1000)
      .describe('How often counters are read into the cache served by /v1/stats and /metrics.'),
    hookTimeoutMs: z
      .number()
      .int()
      .min(100)
      .default(10000)
      .describe('onStart/onStop hooks are killed after this long.'),
    hookUser: z.string().optional().describe('User the onStart/onStop hooks run as.'),
    guestRequestsPerSecond: z
      .number()
      .min(1)
      .default(50)
      .describe('Rate limit of guest requests per VF (token bucket).'),
    guestRequestBurst: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe('Guest requests a VF may send at once before the rate limit applies.'),
    poolSweepIntervalMs: z
      .number()
      .int()
      .min(100)
      .default(10000)
      .describe('How often claims whose owner is gone (netns, process, lease) are reclaimed.'),
    poolLeakGraceMs: z
      .number()
      .int()
      .min(0)
      .default(30000)
      .describe(
        'A claim whose network namespace vanished is reclaimed only after this long, so the runtime’s CNI DEL (which also renames the VF’s netdev back) comes first.',
      ),
    poolVmProbe: z
      .enum(['libvirt-run', 'virsh', 'none'])
      .default('libvirt-run')
      .describe(
        'How the sweeper tells a `vm` owner is gone: `libvirt-run` (the QEMU pid file libvirt keeps in poolLibvirtRunDir, and that process alive), `virsh` (`virsh domstate`), `none` (only the libvirt hook and leases release VM claims).',
      ),
    poolLibvirtRunDir: z
      .string()
      .min(1)
      .default('/run/libvirt/qemu')
      .describe('Where libvirt’s QEMU driver keeps NAME.pid of running domains.'),
    poolLibvirtUri: z
      .string()
      .min(1)
      .default('qemu:///system')
      .describe('libvirt connection URI of the `virsh` VM probe.'),
    poolVmStartGraceMs: z
      .number()
      .int()
      .min(0)
      .default(600000)
      .describe(
        'A `vm` claim whose domain was never seen running is reclaimed only this long after the claim (the domain starts after its claim).',
      ),
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(16777216)
      .default(65536)
      .describe('Largest API request body accepted.'),
  })
  .describe('Settings of the nicvisor daemon itself.');
export type DaemonSettings = z.infer<typeof DaemonSettings>;

export const MainConfig = z
  .strictObject({
    driver: z
      .string()
      .default('sim')
      .describe('NIC driver: `sim` (embedded simulated NIC) or `linux`.'),
    daemon: DaemonSettings.default(DaemonSettings.parse({})),
    sim: z
      .strictObject({
        nics: z
          .array(SimNicSpec)
          .min(1)
          .default([{ name: 'nic0', ports: 2, totalVfs: 64, linkSpeedMbps: 25000, numaNode: 0 }])
          .describe('The simulated NICs.'),
        demoTraffic: z
          .boolean()
          .default(false)
          .describe('Send a little demo traffic so counters move.'),
        demoCableFlaps: z
          .boolean()
          .default(false)
          .describe(
            'With demoTraffic: pull one member cable of every LAG for 5 s every 20 s, so failovers show.',
          ),
      })
      .optional()
      .describe('The simulated NIC (driver `sim`).'),
    linux: z
      .strictObject({
        sysfsRoot: z
          .string()
          .default('/sys')
          .describe('Where sysfs is mounted (tests use a fake tree).'),
      })
      .optional()
      .describe('Settings of the linux driver.'),
    pfs: z.array(PfPolicy).default([]).describe('Policies of the PFs nicvisor manages.'),
    pools: z
      .array(Pool)
      .default([])
      .describe('VF pools handed out by claims (`nicvisor claim POOL`); see docs/pools.md.'),
    lags: z
      .array(Lag)
      .default([])
      .describe('LAGs (bonds) of two PFs each: VF-LAG, or a host bond beside HA pairs of VFs.'),
  })
  .describe('Main configuration file (`/etc/nicvisor/nicvisor.json`).');
export type MainConfigInput = z.input<typeof MainConfig>;
export type MainConfig = z.infer<typeof MainConfig>;
