import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { nicvisor, ROOT } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'nicvisor-validate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

const main = write('nicvisor.json', { driver: 'sim', pfs: [{ pf: 'sim:nic0/0', numVfs: 4 }] });

describe('nicvisor validate', () => {
  it('prints a summary and exits 0 for a valid set of files', () => {
    const vf = write('web-1.json', { name: 'web-1', pf: 'sim:nic0/0', vf: 0, vlans: [10] });
    const r = nicvisor('validate', main, vf);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      'ok: 1 PF(s), 1 VF policies, driver sim (its default capabilities; the daemon checks against the NIC it finds)\n',
    );
  });

  it('prints every problem of every file to stderr and exits 1', () => {
    write('bad-a.json', { name: 'bad-a', pf: 'sim:nic0/0', vf: 9, vlans: [5000] });
    write('bad-b.json', '{ "name": "bad-b", ');
    const r = nicvisor('validate', main, join(dir, 'bad-a.json'), join(dir, 'bad-b.json'));
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0], /bad-b\.json: \(document\): invalid JSON: /);
    assert.equal(
      lines[1],
      `${join(dir, 'bad-a.json')}: vf: vf 9 (bad-a) on sim:nic0/0: VF index 9 is not below numVfs 4 of the PF (allowed: 0-3; fix: use a VF index below 4 or raise numVfs of sim:nic0/0 to 10)`,
    );
    assert.equal(
      lines[2],
      `${join(dir, 'bad-a.json')}: vlans.0: vf 9 (bad-a) on sim:nic0/0: vlan 5000 is out of range 1-4094 (allowed: 1-4094; fix: use a VLAN ID from 1 to 4094 (0 and 4095 are reserved))`,
    );
    assert.equal(lines[3], '3 problem(s) found');
  });

  it('reads every *.json of a directory and can print JSON', () => {
    const r0 = nicvisor('validate', '--json', main, dir);
    assert.equal(r0.code, 1, 'the directory holds the bad files of the previous test too');
    const out = JSON.parse(r0.stdout) as { ok: boolean; problems: { field: string }[] };
    assert.equal(out.ok, false);
    assert.ok(out.problems.some((p) => p.field === 'vlans.0'));
  });

  it('reads the shipped main config (JSON5 comments), as the daemon does', () => {
    const shipped = join(ROOT, 'packaging', 'nicvisor.json');
    const vf = write('db.json', { name: 'db', pf: '0000:08:00.0', vf: 1, vlans: [20] });
    const r = nicvisor('validate', shipped, vf);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^ok: 2 PF\(s\), 1 VF policies, driver linux/);
  });

  it('does not claim a main config is missing when one could not be read', () => {
    const broken = write('broken-main.json5', '{ "driver": "sim", // comment\n "pfs": [ }');
    const vf = write('lonely2.json', { name: 'lonely2', pf: 'sim:nic0/0', vf: 0 });
    const r = nicvisor('validate', broken, vf);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /broken-main\.json5: \(document\): invalid JSON/);
    assert.doesNotMatch(r.stderr, /no main config given/);
  });

  it('refuses VF files without a main config, naming the fix', () => {
    const vf = write('lonely.json', { name: 'lonely', pf: 'sim:nic0/0', vf: 0 });
    const r = nicvisor('validate', vf);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /no main config given: VF policies cannot be checked without their PFs .*fix: add the main config to the command line/,
    );
  });

  it('names an unknown driver and the valid ones', () => {
    const m = write('other.json', { driver: 'dpdk', pfs: [] });
    const r = nicvisor('validate', m);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /driver: unknown driver "dpdk": valid drivers are linux, sim/);
  });

  it('exits non-zero for a missing file', () => {
    const r = nicvisor('validate', join(dir, 'nope.json'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^nicvisor: ENOENT/);
  });
});
