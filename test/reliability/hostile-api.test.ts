/**
 * Hostile API requests against the real daemon (spawned, sim NIC): every corpus request and
 * every single-document policy case PUT as a body gets a 4xx naming the field, the daemon
 * stays up, and the state hash of files and NIC is unchanged afterwards.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import {
  type ApiCase,
  bytesOf,
  type Case,
  loadCorpus,
  namesField,
  type PolicyCase,
} from './corpus.js';
import { killHard, PFS, procEnv, startProc } from './daemon-proc.js';
import { call, resetAgents, type Target } from './http.js';
import { stateHash } from './state-hash.js';

const GOOD = [
  { name: 'good0', pf: PFS[0], vf: 0, vlans: [10], macs: ['02:00:00:00:66:00'], guestMacs: 1 },
  { name: 'good1', pf: PFS[0], vf: 1, vlans: [10, 11], macs: ['02:00:00:00:66:01'] },
  { name: 'good2', pf: PFS[1], vf: 0, untagged: true, macs: ['02:00:00:00:66:02'] },
];

interface Sent {
  c: Case;
  method: string;
  path: string;
  body?: Buffer;
  contentType?: string;
  status?: number;
  field: string;
}

function requests(cases: Case[]): Sent[] {
  const out: Sent[] = [];
  for (const c of cases) {
    if (c.kind === 'api') {
      const a = c as ApiCase;
      out.push({
        c,
        method: a.method,
        path: a.path,
        ...(a.body ? { body: bytesOf(c, a.body), contentType: a.contentType } : {}),
        ...(a.status ? { status: a.status } : {}),
        field: c.field,
      });
    } else if ((c as PolicyCase).api) {
      // The same hostile policy as an API body, for a VF that does not exist yet.
      out.push({
        c,
        method: 'PUT',
        path: '/v1/vfs/hx',
        body: bytesOf(c, (c as PolicyCase).files[0]),
        contentType: 'application/json',
        field: (c as PolicyCase).apiField ?? c.field,
      });
    }
  }
  return out;
}

test('hostile API requests: 4xx naming the field, files and NIC unchanged', async () => {
  const env = await procEnv({ bodyLimitBytes: 1 << 20 });
  const proc = await startProc(env);
  const t: Target = { socketPath: env.socket };
  const failures: string[] = [];
  const sent = requests(loadCorpus());
  try {
    const put = await call(t, 'POST', '/v1/apply', { vfs: GOOD });
    assert.equal(put.status, 200, put.text);
    await new Promise((r) => setTimeout(r, 300));
    const before = await stateHash(env.dir, t);
    for (const s of sent) {
      const headers: Record<string, string> = s.contentType
        ? { 'content-type': s.contentType }
        : {};
      const res = await call(t, s.method, s.path, s.body, headers).catch((err: Error) => ({
        status: 0,
        body: null,
        text: `transport error: ${err.message}`,
      }));
      const body = (res.body ?? {}) as {
        error?: string;
        problems?: { field?: string; message?: string }[];
      };
      const text =
        typeof res.body === 'string'
          ? res.body
          : `${body.error ?? ''} ${JSON.stringify(body.problems ?? [])}`;
      const what = `${s.c.id} (${s.c.why}) ${s.method} ${s.path.slice(0, 60)}`;
      const okStatus = s.status ? res.status === s.status : res.status >= 400 && res.status < 500;
      if (!okStatus) failures.push(`${what}: status ${res.status}: ${res.text.slice(0, 200)}`);
      else if (!namesField(s.field, body.problems ?? [], text))
        failures.push(`${what}: does not name "${s.field}": ${text.slice(0, 200)}`);
      const health = await call(t, 'GET', '/healthz');
      assert.equal(health.status, 200, `the daemon answers after ${what}`);
    }
    await new Promise((r) => setTimeout(r, 300));
    const after = await stateHash(env.dir, t);
    console.log(
      `hostile: ${sent.length} bad API requests (${sent.filter((s) => s.c.kind === 'policy').length} of them policy bodies), ${failures.length} not refused properly, state hash ${before === after ? 'unchanged' : 'CHANGED'}`,
    );
    assert.deepEqual(failures, []);
    assert.equal(after, before, 'files and NIC are unchanged');
  } finally {
    await killHard(proc);
    resetAgents();
    await rm(env.dir, { recursive: true, force: true });
  }
});
