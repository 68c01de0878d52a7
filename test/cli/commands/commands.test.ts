/**
 * The CLI against a real daemon (spawned `nicvisor serve` on the sim NIC): every command
 * answers JSON with --json, exit codes follow `nicvisor --help`, refusals list each problem
 * once, `show --watch` behaves in a pipe, and events/audit/stats/history reach the API.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cli, type Env, MAIN, makeEnv, type Served, serve } from '../../e2e/kit.js';

let env: Env;
let d: Served;

const policies = [
  { name: 'a-1', pf: 'sim:nic0/0', vf: 0, vlans: [100], macs: ['02:00:00:00:00:01'], guestMacs: 1 },
  { name: 'a-2', pf: 'sim:nic0/0', vf: 1, vlans: [100], macs: ['02:00:00:00:00:02'] },
];

before(async () => {
  env = await makeEnv();
  d = await serve(env);
  const dir = join(env.dir, 'in');
  await mkdir(dir);
  for (const p of policies) await writeFile(join(dir, `${p.name}.json`), JSON.stringify(p));
  const r = await cli(env, 'apply', '-f', dir, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).added, ['a-1', 'a-2']);
});

after(async () => {
  d.child.kill('SIGTERM');
  await d.exited;
  await rm(env.dir, { recursive: true, force: true });
});

async function json(...args: string[]): Promise<{ code: number; value: unknown; stderr: string }> {
  const r = await cli(env, ...args, '--json');
  let value: unknown;
  try {
    value = JSON.parse(r.stdout);
  } catch {
    assert.fail(`${args.join(' ')} --json printed no JSON: ${r.stdout}${r.stderr}`);
  }
  return { code: r.code, value, stderr: r.stderr };
}

test('every daemon command answers JSON with --json', async () => {
  const ping = await json('ping');
  assert.equal(ping.code, 0);
  assert.equal((ping.value as { vfs: number }).vfs, 2);
  for (const what of ['vfs', 'pfs', 'a-1']) assert.equal((await json('show', what)).code, 0, what);
  const stats = await json('show', 'stats');
  assert.equal(stats.code, 0, stats.stderr);
  assert.deepEqual(
    (stats.value as { vfs: { name: string }[] }).vfs.map((v) => v.name),
    ['a-1', 'a-2'],
  );
  const ack = await json('request', 'a-1', 'addVlan', '100');
  assert.equal(ack.code, 0);
  assert.equal((ack.value as { result: string }).result, 'ack');
  const nack = await json('request', 'a-1', 'addVlan', '200');
  assert.equal(nack.code, 3, 'nack: exit 3');
  assert.equal((nack.value as { result: string }).result, 'nack');
  const mirror = await json('mirror', 'a-1', 'in', '--to', 'a-2');
  assert.equal(mirror.code, 0, mirror.stderr);
  assert.equal((mirror.value as { changed: boolean }).changed, true);
  assert.equal((await json('mirror', 'a-1', 'off')).code, 0);
  const level = await json('log-level', 'info');
  assert.deepEqual(level.value, { level: 'info', previous: 'warn' });
  const cred = await json('credential', 'a-2');
  assert.match((cred.value as { token: string }).token, /^.{16,}$/);
  const reload = await json('reload');
  assert.equal(reload.code, 0);
  assert.deepEqual((reload.value as { added: string[] }).added, []);
  const history = await json('history', 'a-1');
  assert.equal((history.value as { name: string }).name, 'a-1');
});

test('errors: JSON on stdout with --json, one line per problem without, exit codes', async () => {
  const missing = await json('show', 'nope');
  assert.equal(missing.code, 1);
  assert.match((missing.value as { error: string }).error, /VF "nope" has no policy/);
  const refused = await cli(env, 'mirror', 'a-1', 'in', '--to', 'nope');
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr.match(/mirror target "nope" does not exist/g)?.length,
    1,
    refused.stderr,
  );
  const asJson = await json('mirror', 'a-1', 'in', '--to', 'nope');
  assert.equal((asJson.value as { problems: unknown[] }).problems.length, 1);
  const unreachable = await cli(env, 'ping', '--socket', join(env.dir, 'none.sock'));
  assert.equal(unreachable.code, 4);
  const usage = await cli(env, 'show', '--interval', 'soon', '--watch');
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--interval soon is not a whole number/);
});

test('a refused reload prints each problem once and changes nothing', async () => {
  const file = join(env.vfsDir, 'a-2.json');
  const good = await readFile(file, 'utf8');
  await writeFile(file, JSON.stringify({ ...policies[1], vf: 99 }));
  try {
    const r = await cli(env, 'reload');
    assert.equal(r.code, 1);
    assert.equal(r.stderr.match(/VF index 99 is not below numVfs 8/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /reload refused, the running configuration is unchanged \(1 problem\)/);
  } finally {
    await writeFile(file, good);
  }
});

test('show --watch into a pipe: plain frames, no screen codes, a closed pipe ends it with 0', async () => {
  const child = spawn(
    process.execPath,
    [MAIN, 'show', '--watch', '--interval', '100', '--socket', env.socket],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => {
    err += c;
  });
  await new Promise<void>((ok) => {
    child.stdout.on('data', (c) => {
      out += c;
      // Two frames seen: close our end, as `head` does.
      if ((out.match(/^--- /gm) ?? []).length >= 2) {
        child.stdout.destroy();
        ok();
      }
    });
  });
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 0, err);
  assert.doesNotMatch(err, /EPIPE|Unhandled/);
  assert.doesNotMatch(out, /\x1b/, 'no terminal control codes into a pipe');
  assert.match(out, /^--- \S+Z {2}unix:/m);
  assert.match(out, /^NAME\s+PF\s+VF/m);
});

test('events and audit stream what the daemon does', async () => {
  const run = (...args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [MAIN, ...args, '--socket', env.socket], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (c) => {
        out += c;
      });
      child.on('exit', (code) => resolve({ code, out }));
    });
  const events = run('events', '--types', 'audit', '--count', '1');
  const audit = run('audit', '--count', '1', '--json');
  // Both streams are open once the daemon holds two event connections: retry until seen.
  let seq = 0;
  const done = Promise.all([events, audit]);
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  while (!finished) {
    await cli(env, 'request', 'a-1', 'setMtu', String(1400 + (seq++ % 100)));
    await new Promise((r) => setTimeout(r, 200));
  }
  const [e, a] = await done;
  assert.equal(e.code, 0);
  assert.match(e.out, /^audit #\d+ \S+ admin\S* via api guest.request a-1 \{"type":"setMtu"/);
  assert.equal(a.code, 0);
  const entry = JSON.parse(a.out) as { action: string; target: string; result: string };
  assert.deepEqual([entry.action, entry.target, entry.result], ['guest.request', 'a-1', 'ack']);
  const bad = await cli(env, 'events', '--types', 'nonsense');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown \[nonsense\]; the event types are audit, vfStatus/);
});
