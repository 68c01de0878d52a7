/**
 * The `nicvisor` command users run is the esbuild bundle in dist/cli/ (scripts/bundle.ts),
 * not the modules tsc wrote: what the bundle moves (files found from the module's place,
 * the netlink worker, the launcher line) is checked here on the bundle itself. The other
 * end-to-end and CLI tests spawn the bundle too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { MAIN, makeEnv, serve } from './kit.js';

const TSC_MAIN = resolve(MAIN, '../../src/cli/main.js');

/** GET `path` over the daemon's Unix socket: status and body length. */
function get(socket: string, path: string): Promise<{ status: number; bytes: number }> {
  return new Promise((ok, fail) => {
    const req = request({ socketPath: socket, path }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => ok({ status: res.statusCode ?? 0, bytes }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('the bundled command (dist/cli/main.js)', () => {
  it('keeps the launcher line of the compiled entry', async () => {
    const first = async (f: string) => (await readFile(f, 'utf8')).split('\n')[0];
    const line = await first(MAIN);
    assert.match(line, /^#!\/usr\/bin\/env -S node .*--max-semi-space-size=1/);
    assert.equal(line, await first(TSC_MAIN));
  });

  it('runs `nicvisor cni`, a CommonJS module the bundle imports', () => {
    const r = spawnSync(process.execPath, [MAIN, 'cni'], {
      env: { ...process.env, CNI_COMMAND: 'VERSION' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).supportedVersions.includes('1.0.0'), r.stdout);
  });

  it('serves the dashboard files, found from the package root', async (t) => {
    const env = await makeEnv(1);
    const d = await serve(env);
    t.after(() => d.child.kill('SIGTERM'));
    for (const path of ['/', '/ui/main.js', '/ui/style.css', '/ui/vendor/uPlot.esm.js']) {
      const r = await get(env.socket, path);
      assert.equal(r.status, 200, `GET ${path}`);
      assert.ok(r.bytes > 100, `GET ${path}: ${r.bytes} bytes`);
    }
  });

  it('starts the daemon on the linux driver: its netlink worker loads from dist/cli/', {
    skip:
      process.platform !== 'linux' || process.getuid?.() !== 0
        ? 'needs Linux and root: the linux driver opens its netlink sockets as root'
        : false,
  }, async (t) => {
    const env = await makeEnv(1);
    // No PFs: the driver still opens its netlink sockets (each in the worker) at start.
    const config = {
      driver: 'linux',
      daemon: { stateDir: env.stateDir, socket: env.socket, logLevel: 'warn' },
      pfs: [],
    };
    await writeFile(env.configFile, JSON.stringify(config));
    const d = await serve(env);
    t.after(() => d.child.kill('SIGTERM'));
    const r = await get(env.socket, '/v1/vfs');
    assert.equal(r.status, 200, d.stderr());
    assert.doesNotMatch(d.stderr(), /Cannot find module/);
  });
});
