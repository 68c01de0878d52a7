/**
 * `nicvisor serve` logging: JSON lines when stderr is not a terminal (journald, pipes),
 * readable lines with --log-format pretty, and each listener announced once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { type Env, MAIN, makeEnv } from '../e2e/kit.js';

async function startStop(env: Env, ...extra: string[]): Promise<{ out: string; err: string }> {
  // The kit's config logs warnings only: these tests read the info lines.
  const config = await readFile(env.configFile, 'utf8');
  await writeFile(env.configFile, config.replace('"logLevel": "warn"', '"logLevel": "info"'));
  const child = spawn(process.execPath, [MAIN, 'serve', '--config', env.configFile, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => {
    err += c;
  });
  await new Promise<void>((ok) => {
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('API on')) ok();
    });
  });
  child.kill('SIGTERM');
  assert.equal(await new Promise((r) => child.on('exit', r)), 0, err);
  return { out, err };
}

test('not a terminal: JSON lines on stderr, the banner alone on stdout', async () => {
  const env = await makeEnv(1);
  try {
    const { out, err } = await startStop(env);
    const lines = err.trim().split('\n');
    for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), l);
    assert.equal(lines.filter((l) => l.includes('Server listening')).length, 1, 'socket only');
    assert.doesNotMatch(out, /"level"/, 'no JSON on stdout');
  } finally {
    await rm(env.dir, { recursive: true, force: true });
  }
});

test('--log-format pretty: readable lines, no JSON', async () => {
  const env = await makeEnv(1);
  try {
    const { err } = await startStop(env, '--log-format', 'pretty');
    const lines = err.trim().split('\n');
    assert.ok(lines.length >= 3, err);
    for (const l of lines)
      assert.match(l, /^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S/, l);
    assert.equal(lines.filter((l) => l.includes('Server listening')).length, 1);
    assert.ok(
      lines.some((l) => /INFO {2}daemon stopped/.test(l)),
      err,
    );
  } finally {
    await rm(env.dir, { recursive: true, force: true });
  }
});
