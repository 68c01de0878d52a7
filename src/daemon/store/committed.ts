/**
 * The durable record of the last committed configuration: the main config and every VF
 * policy as they were when the store last accepted a change. The files an operator edits
 * (the main config, `vfs/*.json`) can be broken by hand at any time; this record cannot,
 * so a daemon that finds its files refused at start runs what was last committed instead of
 * taking the host's VF policy down.
 */
import { readFile } from 'node:fs/promises';
import { isRecord, type Sourced, type VfPolicy } from '../../model/index.js';

export interface CommittedRecord {
  /** Where the main config came from, and its content as committed. */
  main: Sourced;
  /** VF policies; read back they are validated like any document before use. */
  vfs: readonly unknown[];
}

/** The record's file content for a configuration (compared before writing: equal is skipped). */
export function recordText(main: Sourced, policies: Iterable<VfPolicy>): string {
  const vfs = Object.fromEntries([...policies].map((p) => [p.name, p]));
  return `${JSON.stringify({ version: 1, main, vfs }, null, 2)}\n`;
}

/** The record, or null when there is none (first start) or it cannot be read. */
export async function readCommitted(file: string): Promise<CommittedRecord | null> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
  if (!isRecord(data) || data.version !== 1 || !isRecord(data.main) || !isRecord(data.vfs))
    return null;
  const { file: mainFile, data: mainData } = data.main;
  if (typeof mainFile !== 'string') return null;
  return { main: { file: mainFile, data: mainData }, vfs: Object.values(data.vfs) };
}
