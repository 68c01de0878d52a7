/**
 * `npm run build`'s last step: the `nicvisor` command as one minified ES module bundle in
 * `dist/cli/` (`main.js`, the netlink worker `socket-worker.js`, and the chunks that the
 * CLI's lazy imports load), made with esbuild from the compiled `dist/src/`.
 *
 * Why: node resolves, reads and compiles every module file on its own; the daemon loads
 * about 300 of them (180 of ours, 90 of zod), and under the launcher's small young
 * generation that was more than half of a spawned daemon's start. Measured on this
 * project's 2-core machine (8 PFs × 64 sim VFs, 10 runs of each, interleaved): exec → API
 * ready p50 1.63 s → 1.26 s, and 4-6 MiB less RSS (the bundle drops zod's unused locales;
 * minified source is smaller in V8's heap). `dist/src/` stays as tsc wrote it: the tests and the lean CNI plugin and
 * libvirt hook use it.
 *
 * A CommonJS module imported with import() is given only its `default` (module.exports) in
 * the bundle, no named exports: cli/commands/cni.ts reads it so.
 *
 * Left out of the bundle, loaded from node_modules at run time: koffi (a native addon),
 * etcd3 (gRPC reads its .proto files from its own directory) and prom-client (required
 * through createRequire in daemon/prom.ts).
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const out = join(root, 'dist/cli');
rmSync(out, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    main: 'dist/src/cli/main.js',
    'socket-worker': 'dist/src/drivers/linux/netlink/socket-worker.js',
  },
  outdir: out,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // Error names, log lines and stack traces keep the functions' and classes' names.
  keepNames: true,
  sourcemap: true,
  external: ['koffi', 'etcd3', 'prom-client'],
  // The CommonJS dependencies (fastify, pino, commander's helpers) call require() for node's
  // own modules; an ES module has none unless it is made.
  banner: {
    js: "import { createRequire as __nvRequire } from 'node:module'; const require = __nvRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
