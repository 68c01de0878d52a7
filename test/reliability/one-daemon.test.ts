/**
 * One daemon per state directory, and a live socket is never taken: a second daemon on the
 * same state dir stops before it sweeps or reconciles anything; one on another state dir but
 * the same socket stops without removing the running daemon's socket. The socket appears
 * at its path already 0660 with its group, in a directory that group can enter.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiServer } from '../../src/api/server.js';
import { listenPrivately, socketAnswers } from '../../src/api/socket.js';
import { TEMP_MARKER } from '../../src/daemon/fsutil.js';
import { silentLogger } from '../../src/daemon/logger.js';
import { Daemon } from '../../src/daemon/service.js';
import { StateDirBusyError } from '../../src/daemon/state-lock.js';
import { MAIN, procEnv, startProc, stopProc } from './daemon-proc.js';
import { simDaemon } from './sim-daemon.js';

const isRoot = process.getuid?.() === 0;

test('a second daemon on the same state dir stops before touching anything', async () => {
  const s = await simDaemon([]);
  try {
    const temp = join(s.stateDir, 'vfs', `${TEMP_MARKER}x.json.0000`);
    await writeFile(temp, '{}');
    const second = new Daemon({ configFile: s.configFile, log: silentLogger() });
    await assert.rejects(second.start(), (err: Error) => {
      assert.ok(err instanceof StateDirBusyError, String(err));
      assert.match(err.message, new RegExp(`${s.stateDir} is in use .* \\(pid ${process.pid}\\)`));
      return true;
    });
    assert.ok(existsSync(temp), 'the second daemon did not sweep the first one’s directory');
    await rm(temp);
  } finally {
    await s.cleanup();
  }
  // A stopped daemon leaves the lock free.
  const t = await simDaemon([]);
  await t.cleanup();
});

function serveOnce(configFile: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [MAIN, 'serve', '--config', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d) => {
      out += d;
    });
    c.stderr.on('data', (d) => {
      out += d;
    });
    c.on('exit', (code) => resolve({ code, out }));
  });
}

test('the real CLI: same state dir or same live socket → exit 1, the running daemon keeps its socket', async () => {
  const env = await procEnv();
  const p = await startProc(env);
  try {
    const same = await serveOnce(env.configFile);
    assert.notEqual(same.code, 0);
    assert.match(same.out, /is in use by another nicvisor daemon/);
    const other = await procEnv({ socket: env.socket });
    const second = await serveOnce(other.configFile);
    assert.notEqual(second.code, 0);
    assert.match(second.out, /another daemon is listening on/);
    assert.ok(await socketAnswers(env.socket), 'the first daemon still answers on its socket');
    await rm(other.dir, { recursive: true, force: true });
  } finally {
    await stopProc(p);
    await rm(env.dir, { recursive: true, force: true });
  }
});

test('the socket never exists at its path before it has mode 0660 and its group', async () => {
  const s = await simDaemon([]);
  try {
    const path = join(s.dir, 'run', 'api.sock');
    await mkdir(join(s.dir, 'run'));
    const server = (await import('node:net')).createServer();
    const ino = await listenPrivately(path, null, async (tmp) => {
      assert.ok(!existsSync(path), 'nothing at the final path while binding');
      const dir = await stat(join(tmp, '..'));
      assert.equal(dir.mode & 0o777, 0o700, 'bound inside a private directory');
      await new Promise<void>((ok) => server.listen(tmp, ok));
    });
    const st = await lstat(path);
    assert.ok(st.isSocket());
    assert.equal(st.ino, ino);
    assert.equal(st.mode & 0o777, 0o660);
    assert.deepEqual(await readdir(join(s.dir, 'run')), ['api.sock'], 'no private dir left');
    assert.ok(await socketAnswers(path));
    server.close();
  } finally {
    await s.cleanup();
  }
});

test('the socket directory is created reachable by the socket group', {
  skip: !isRoot && 'needs root to give a directory to another group',
}, async () => {
  const s = await simDaemon([]);
  try {
    const socket = join(s.dir, 'run', 'nicvisor', 'api.sock');
    const server = new ApiServer(s.daemon, { socket, socketGroup: '65534', bodyLimit: 65536 });
    await server.start();
    const dir = await stat(join(s.dir, 'run', 'nicvisor'));
    assert.equal(dir.gid, 65534);
    assert.equal(dir.mode & 0o070, 0o050, `directory mode ${(dir.mode & 0o777).toString(8)}`);
    assert.equal(dir.mode & 0o007, 0, 'others still cannot enter');
    const sock = await stat(socket);
    assert.equal(sock.gid, 65534);
    assert.equal(sock.mode & 0o777, 0o660);
    await server.stop();
    assert.ok(!existsSync(socket), 'stop removes its own socket');
  } finally {
    await s.cleanup();
  }
});
