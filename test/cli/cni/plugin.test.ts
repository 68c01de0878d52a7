// The CNI plugin's host side against a daemon on the sim NIC, with recording stand-ins for
// `ip`, `nsenter` and the IPAM plugin and a sysfs tree that shows the VF's netdev: which
// programs ADD and DEL start with which lines, and that a failed ADD leaves nothing behind.
// (The real kernel side is test/lab/vm/cni.test.ts, in the lab VM on igb.)
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiServer } from '../../../src/api/server.js';
import { runCni } from '../../../src/cli/cni/plugin.cjs';
import { type PoolKit, startPoolKit } from '../../daemon/pools/kit.js';

/**
 * Each started program appends `NAME ARGS` and its stdin lines to the log, in one write:
 * programs run side by side (IPAM beside `nsenter ip`), and records written piecemeal could
 * interleave (a netconf without a final newline would swallow the next record's first line).
 */
function recorder(file: string, name: string, log: string, extra = ''): void {
  writeFileSync(
    file,
    `#!/bin/sh\nin=$(cat)\nprintf '%s\\n%s\\n\\n' "${name} $*" "$in" >> ${log}\n${extra}exit 0\n`,
  );
  chmodSync(file, 0o755);
}

describe('CNI plugin: the programs ADD and DEL start', () => {
  let k: PoolKit;
  let api: ApiServer;
  let sock: string;
  let dir: string;
  let log: string;
  let netns: string;
  const conf = () => ({
    cniVersion: '1.0.0',
    name: 'sriov',
    type: 'nicvisor-cni',
    pool: 'net1',
    socket: sock,
    ipam: { type: 'fake-ipam' },
  });
  const env = (command: string, id: string) => ({
    CNI_COMMAND: command,
    CNI_CONTAINERID: id,
    CNI_NETNS: netns,
    CNI_IFNAME: 'net1',
    CNI_PATH: join(dir, 'bin'),
  });
  const ops = () => ({
    sysfs: join(dir, 'sys'),
    ip: join(dir, 'bin', 'ip'),
    nsenter: join(dir, 'bin', 'nsenter'),
  });
  const started = () =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => /^(ip|nsenter|ipam) /.test(l));

  before(async () => {
    k = await startPoolKit();
    dir = k.dir;
    sock = join(dir, 'api.sock');
    api = new ApiServer(k.daemon, { socket: sock, bodyLimit: 65536 });
    await api.start();
    mkdirSync(join(dir, 'bin'));
    log = join(dir, 'calls.log');
    writeFileSync(log, '');
    netns = join(dir, 'netns-c1');
    writeFileSync(netns, '');
    recorder(join(dir, 'bin', 'ip'), 'ip', log);
    // nsenter fails when the batch asks for `fail0` (a rename the kernel refuses).
    recorder(join(dir, 'bin', 'nsenter'), 'nsenter', log, `grep -q fail0 ${log} && exit 1\n`);
    recorder(
      join(dir, 'bin', 'fake-ipam'),
      'ipam',
      log,
      `[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.0.0","ips":[{"address":"10.9.0.5/24","gateway":"10.9.0.1"}],"routes":[{"dst":"0.0.0.0/0","gw":"10.9.0.1"}]}'\n`,
    );
    // The sim VFs' PCI-like addresses, each with a netdev in the fake sysfs.
    let i = 10;
    for (const pf of await k.daemon.driver.observe())
      for (const v of pf.vfs)
        if (v.pciAddr)
          mkdirSync(
            join(dir, 'sys', 'bus', 'pci', 'devices', v.pciAddr, 'net', v.netdev ?? `eth${i++}`),
            {
              recursive: true,
            },
          );
  });
  after(async () => {
    await api.stop();
    await k.cleanup();
  });

  it('ADD: one ip batch in the host, one in the namespace with name, MAC and addresses; IPAM once', async () => {
    writeFileSync(log, '');
    const r = await runCni({ env: env('ADD', 'c1'), stdin: JSON.stringify(conf()), ops: ops() });
    assert.equal(r.code, 0, r.stdout);
    const out = JSON.parse(r.stdout);
    const view = k.daemon.pools.view('net1');
    const claim = view.claims[0]!;
    const dev = readdirSync(join(dir, 'sys', 'bus', 'pci', 'devices', claim.pciAddr!, 'net'))[0];
    assert.equal(out.interfaces[0].mac, claim.mac);
    assert.equal(out.ips[0].address, '10.9.0.5/24');
    assert.deepEqual(started(), [
      'ipam ',
      'ip -batch -',
      `nsenter --net=${netns} ${ops().ip} -batch -`,
    ]);
    const text = readFileSync(log, 'utf8');
    assert.match(text, new RegExp(`link set dev ${dev} netns ${netns}`));
    assert.match(
      text,
      new RegExp(
        `link set dev ${dev} name net1\\nlink set dev net1 address ${claim.mac}\\nlink set dev net1 up\\naddr replace 10.9.0.5/24 dev net1\\nroute replace 0.0.0.0/0 via 10.9.0.1 dev net1`,
      ),
    );

    writeFileSync(log, '');
    const d = await runCni({ env: env('DEL', 'c1'), stdin: JSON.stringify(conf()), ops: ops() });
    assert.equal(d.code, 0, d.stdout);
    // One program moves the VF back and renames it (one RTM_SETLINK); IPAM DEL beside it.
    assert.deepEqual(started().sort(), ['ipam ', `nsenter --net=${netns} ${ops().ip} -batch -`]);
    assert.match(
      readFileSync(log, 'utf8'),
      new RegExp(`link set dev net1 down\\nlink set dev net1 netns 1 name ${dev}\\n`),
    );
    assert.deepEqual(k.daemon.pools.view('net1').claims, []);
  });

  it('DEL: a rename the host refuses (its old name taken) falls back to the move alone', async () => {
    writeFileSync(log, '');
    const r = await runCni({ env: env('ADD', 'c3'), stdin: JSON.stringify(conf()), ops: ops() });
    assert.equal(r.code, 0, r.stdout);
    const clash = join(dir, 'bin', 'nsenter-clash');
    writeFileSync(
      clash,
      `#!/bin/sh\nin=$(cat)\nprintf '%s\\n%s\\n\\n' "nsenter $*" "$in" >> ${log}\ncase "$in" in *"netns 1 name"*) echo "RTNETLINK answers: File exists" >&2; exit 1;; esac\nexit 0\n`,
    );
    chmodSync(clash, 0o755);
    writeFileSync(log, '');
    const d = await runCni({
      env: env('DEL', 'c3'),
      stdin: JSON.stringify(conf()),
      ops: { ...ops(), nsenter: clash },
    });
    assert.equal(d.code, 0, d.stdout);
    const text = readFileSync(log, 'utf8');
    assert.match(text, /link set dev net1 netns 1 name \S+\n[\s\S]*link set dev net1 netns 1\n/);
    assert.deepEqual(k.daemon.pools.view('net1').claims, []);
  });

  it('a failed ADD releases the claim and frees the address', async () => {
    writeFileSync(log, 'fail0\n');
    const r = await runCni({ env: env('ADD', 'c2'), stdin: JSON.stringify(conf()), ops: ops() });
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).msg, /ip -batch failed/);
    assert.deepEqual(k.daemon.pools.view('net1').claims, []);
    const text = readFileSync(log, 'utf8');
    assert.match(text, /ipam \n[\s\S]*ipam \n/, 'IPAM ran for ADD and for the DEL that undoes it');
  });
});
