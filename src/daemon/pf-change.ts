/**
 * A PF policy changed through the API (PUT /v1/pfs/{id}: numVfs, MTU, loopback, QoS …).
 * PF policies live in the operator's main config file, so the change is written there —
 * durably, keeping the file's mode — as well as committed through the store, or a reload
 * or restart would bring the old settings back. Order: validate (a refusal writes nothing),
 * write the file, commit; should the commit still refuse (a concurrent change made the set
 * invalid) the file gets its old text back. The embedded demo has no file: the change then
 * lives in the running configuration (and committed.json) only. The file is JSON5 to the
 * reader but written back as plain JSON: comments would be lost, so the text before the
 * change is kept beside it as FILE.bak.
 */
import { readFile, stat } from 'node:fs/promises';
import { isRecord, type PfPolicy, type Sourced, ValidationError } from '../model/index.js';
import { writeFileDurable } from './fsutil.js';
import type { ChangeOutcome, Store } from './store/store.js';

/** The main config document with `policy` in place of the PF's entry (added when absent). */
export function withPfPolicy(doc: Sourced, policy: PfPolicy): Sourced {
  const data = isRecord(doc.data) ? doc.data : {};
  const pfs = Array.isArray(data.pfs) ? [...data.pfs] : [];
  const i = pfs.findIndex((p) => isRecord(p) && p.pf === policy.pf);
  if (i >= 0) pfs[i] = policy;
  else pfs.push(policy);
  return { file: doc.file, data: { ...data, pfs } };
}

export async function commitPfPolicy(
  store: Store,
  configFile: string | null,
  policy: PfPolicy,
): Promise<ChangeOutcome> {
  const main = withPfPolicy(store.state().mainDoc, policy);
  const problems = store.validateChange({ main });
  if (problems.length > 0) throw new ValidationError(problems);
  if (!configFile) return store.commit({ main });
  const old = await readFile(configFile, 'utf8');
  const mode = (await stat(configFile)).mode & 0o777;
  await writeFileDurable(`${configFile}.bak`, old, mode);
  await writeFileDurable(configFile, `${JSON.stringify(main.data, null, 2)}\n`, mode);
  try {
    return await store.commit({ main: { file: configFile, data: main.data } });
  } catch (err) {
    await writeFileDurable(configFile, old, mode);
    throw err;
  }
}
