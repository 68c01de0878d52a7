/**
 * The HTTP floor of the guest-request figures (bench/daemon.ts): fastify on a Unix socket
 * with the daemon's own JSON body parser, answering every guest request with a fixed ack of
 * the daemon's shape, and doing nothing else. Loaded by the same generator at the same
 * concurrency, its latency and CPU are what HTTP alone costs on this machine in this run;
 * the daemon's figures are stated as ratios against it.
 *
 * Run as `node _http-floor.js SOCKET`; prints `listening` once it accepts connections.
 */
import { rmSync } from 'node:fs';
import Fastify from 'fastify';
import { strictJsonBodies } from '../src/api/json-body.js';

const socket = process.argv[2];
if (!socket) throw new Error('usage: node _http-floor.js SOCKET');
rmSync(socket, { force: true });
const app = Fastify({ childLoggerFactory: (logger) => logger });
strictJsonBodies(app);
app.post<{ Params: { name: string } }>('/v1/vfs/:name/requests', async (req) => ({
  name: req.params.name,
  request: req.body,
  result: 'ack',
  reason: 'promiscuous mode off',
  revision: 1,
}));
await app.listen({ path: socket });
process.stdout.write('listening\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
