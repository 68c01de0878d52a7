/**
 * Power-loss ordering and changes a crash interrupted, set up on disk by hand (the random
 * crash run rarely lands exactly between two writes): a leftover temp file is moved aside
 * and never loaded; a deleted VF's guest state and credential never pass to a new VF of the
 * same name; a narrowed policy never keeps guest settings it forbids.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { TEMP_MARKER, writeFileDurable } from '../../src/daemon/fsutil.js';
import { createLogger } from '../../src/daemon/logger.js';
import { Daemon } from '../../src/daemon/service.js';
import { emptyGuestState, VfPolicy } from '../../src/model/index.js';
import { mainConfig, PF0, policies } from '../daemon/harness.js';
import { FakeDriver } from '../fakes/fake-driver.js';

async function setUp() {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-int-'));
  const stateDir = join(dir, 'state');
  const configFile = join(dir, 'nicvisor.json');
  await writeFile(
    configFile,
    JSON.stringify({ ...mainConfig(), daemon: { ...mainConfig().daemon, stateDir } }),
  );
  for (const sub of ['vfs', 'guest']) await mkdir(join(stateDir, sub), { recursive: true });
  for (const p of policies)
    await writeFile(join(stateDir, 'vfs', `${p.name}.json`), JSON.stringify(p));
  const lines: string[] = [];
  const sink = new Writable({
    write(c, _e, cb) {
      lines.push(String(c));
      cb();
    },
  });
  const daemon = new Daemon({
    configFile,
    driver: new FakeDriver([PF0, 'fake:1']),
    log: createLogger('warn', sink),
  });
  return { dir, stateDir, daemon, lines };
}

test('a leftover temp file is moved aside with a warning and never loaded', async () => {
  const s = await setUp();
  const tmp = `${TEMP_MARKER}web-1.json.deadbeef`;
  // What a crash between write and rename leaves: a complete, different policy.
  await writeFile(join(s.stateDir, 'vfs', tmp), JSON.stringify({ ...policies[0], vlans: [999] }));
  await writeFile(join(s.stateDir, 'guest', `${TEMP_MARKER}web-1.json.0badf00d`), '{"mac": "02:');
  try {
    await s.daemon.start();
    assert.deepEqual(s.daemon.getVf('web-1').policy.vlans, [100], 'the temp file was not loaded');
    assert.ok(!(await readdir(join(s.stateDir, 'vfs'))).includes(tmp));
    const aside = await readdir(join(s.stateDir, 'vfs', '.aside'));
    assert.equal(aside.length, 1);
    assert.ok(aside[0].startsWith(tmp), `kept as ${aside[0]}`);
    assert.equal((await readdir(join(s.stateDir, 'guest', '.aside'))).length, 1);
    const warn = s.lines.find((l) => l.includes('moved leftover temp files aside'));
    assert.ok(warn, `a warning names the files: ${s.lines.join('')}`);
    assert.ok(warn.includes(tmp));
    console.log('interrupted: 2 leftover temp files moved aside, 0 loaded');
  } finally {
    await s.daemon.stop();
    await rm(s.dir, { recursive: true, force: true });
  }
});

test('a delete cut short leaves no guest state or credential for a later VF of that name', async () => {
  const s = await setUp();
  // The policy file of "gone" was removed (the commit point); its other files were not.
  await writeFile(
    join(s.stateDir, 'guest', 'gone.json'),
    JSON.stringify({ ...emptyGuestState(), mac: '02:00:00:00:00:77', vlans: [300] }),
  );
  await writeFile(join(s.stateDir, 'credentials.json'), JSON.stringify({ gone: 'a'.repeat(64) }));
  try {
    await s.daemon.start();
    assert.ok(!(await readdir(join(s.stateDir, 'guest'))).includes('gone.json'));
    assert.deepEqual(JSON.parse(await readFile(join(s.stateDir, 'credentials.json'), 'utf8')), {});
    await s.daemon.putVf(
      VfPolicy.parse({
        name: 'gone',
        pf: PF0,
        vf: 5,
        vlans: [300],
        macs: ['02:00:00:00:00:05'],
        guestMacs: 1,
      }),
      'test',
    );
    const v = s.daemon.getVf('gone');
    assert.deepEqual(v.guest, emptyGuestState(), 'the new VF starts with no guest state');
    assert.equal(v.hasCredential, false, 'and without the old credential');
  } finally {
    await s.daemon.stop();
    await rm(s.dir, { recursive: true, force: true });
  }
});

test('a narrowing put cut short before pruning: the guest state is pruned at start', async () => {
  const s = await setUp();
  // web-2's policy now allows VLAN 100 only; the guest file still holds 200 (not pruned).
  await writeFile(
    join(s.stateDir, 'vfs', 'web-2.json'),
    JSON.stringify({ ...policies[1], vlans: [100] }),
  );
  await writeFileDurable(
    join(s.stateDir, 'guest', 'web-2.json'),
    JSON.stringify({ ...emptyGuestState(), vlans: [200, 100] }),
  );
  try {
    await s.daemon.start();
    const v = s.daemon.getVf('web-2');
    assert.deepEqual(v.guest.vlans, [100]);
    assert.ok(!v.desired.vlans.includes(200), 'VLAN 200 is not programmed');
    const onDisk = JSON.parse(await readFile(join(s.stateDir, 'guest', 'web-2.json'), 'utf8'));
    assert.deepEqual(onDisk.vlans, [100], 'and the pruned state is written');
  } finally {
    await s.daemon.stop();
    await rm(s.dir, { recursive: true, force: true });
  }
});

test('durable write: temp + fsync + rename + fsync dir (no temp file survives, mode 0640)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nicvisor-dw-'));
  try {
    const f = join(dir, 'x.json');
    await writeFileDurable(f, '{"a":1}\n');
    await writeFileDurable(f, '{"a":2}\n');
    assert.equal(await readFile(f, 'utf8'), '{"a":2}\n');
    assert.deepEqual(await readdir(dir), ['x.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
