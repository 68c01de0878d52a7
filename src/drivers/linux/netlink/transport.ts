import { Worker } from 'node:worker_threads';
import { NLM_F_DUMP, NLMSG_DONE, NLMSG_ERROR } from './constants.js';
import { decodeAck, type NlAck, type NlMsg, setSeq, splitMessages } from './message.js';
import type { Job, JobResult, WorkerConfig } from './socket-worker.js';

/** The kernel's whole answer to one request: data messages (if any) and the final ACK. */
export interface NlReply {
  seq: number;
  messages: NlMsg[];
  ack: NlAck;
}

/** Most messages per send: keeps the ACKs of one send well inside the receive buffer. */
const MAX_BATCH = 128;
const MAX_BATCH_BYTES = 64 * 1024;

const WORKER_URL = new URL('./socket-worker.js', import.meta.url);

function spawn(cfg: WorkerConfig): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_URL, { workerData: cfg });
    const onError = (e: Error) => reject(e);
    w.once('error', onError);
    w.once('message', (m: { ready: boolean; error?: string }) => {
      w.off('error', onError);
      if (m.ready) resolve(w);
      else {
        void w.terminate();
        reject(new Error(`netlink socket (protocol ${cfg.protocol}): ${m.error}`));
      }
    });
  });
}

/**
 * A request/response netlink socket owned by a worker thread. Sequence numbers are ours:
 * each message of a request() gets the next one, messages go to the kernel many per send,
 * and every one must come back with its own ACK (or NLMSG_DONE for dumps).
 */
export class NetlinkSocket {
  private worker: Worker | null = null;
  private nextSeq = 1;
  private nextJob = 1;
  private readonly waiting = new Map<number, (r: JobResult) => void>();

  constructor(
    private readonly protocol: number,
    private readonly timeoutMs = 5000,
  ) {}

  async open(): Promise<void> {
    if (this.worker) return;
    const w = await spawn({
      mode: 'request',
      protocol: this.protocol,
      groups: [],
      timeoutMs: this.timeoutMs,
    });
    w.on('message', (r: JobResult) => {
      const done = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      done?.(r);
    });
    w.on('error', (e) => this.failAll(`netlink worker failed: ${e.message}`));
    w.on('exit', () => this.failAll('netlink worker exited'));
    this.worker = w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    w.removeAllListeners();
    w.postMessage({ close: true });
    await w.terminate();
    this.failAll('netlink socket closed');
  }

  private failAll(error: string): void {
    for (const [id, done] of this.waiting) done({ id, error, errno: 0 });
    this.waiting.clear();
  }

  private run(messages: Buffer[]): Promise<JobResult> {
    const w = this.worker;
    if (!w) return Promise.reject(new Error('netlink socket is not open (call start() first)'));
    const id = this.nextJob++;
    const seqs = messages.map((m) => m.readUInt32LE(8));
    const data = Buffer.concat(messages);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      const job: Job = { id, data, seqs };
      w.postMessage(job);
    });
  }

  /**
   * Sends the messages (their seq fields are overwritten) and returns one reply per message,
   * in order. Rejects only when the socket itself fails; refusals are in each reply's ack.
   */
  async request(messages: Buffer[]): Promise<NlReply[]> {
    for (const m of messages) {
      setSeq(m, this.nextSeq);
      this.nextSeq = (this.nextSeq + 1) >>> 0 || 1;
    }
    const batches: Buffer[][] = [];
    let cur: Buffer[] = [];
    let bytes = 0;
    for (const m of messages) {
      if (cur.length >= MAX_BATCH || (cur.length > 0 && bytes + m.length > MAX_BATCH_BYTES)) {
        batches.push(cur);
        cur = [];
        bytes = 0;
      }
      cur.push(m);
      bytes += m.length;
    }
    if (cur.length > 0) batches.push(cur);
    const results = await Promise.all(batches.map((b) => this.run(b)));
    const bySeq = new Map<number, NlReply>();
    for (const m of messages) {
      const seq = m.readUInt32LE(8);
      bySeq.set(seq, { seq, messages: [], ack: { errno: 0 } });
    }
    for (const r of results) {
      if ('error' in r) throw Object.assign(new Error(r.error), { errno: r.errno });
      for (const dg of r.datagrams)
        collect(Buffer.from(dg.buffer, dg.byteOffset, dg.byteLength), bySeq);
    }
    return messages.map((m) => {
      const reply = bySeq.get(m.readUInt32LE(8));
      if (!reply) throw new Error('internal: reply lost');
      if ((m.readUInt16LE(6) & NLM_F_DUMP) === NLM_F_DUMP)
        reply.messages = reply.messages.filter((x) => x.type !== NLMSG_DONE);
      return reply;
    });
  }
}

function collect(dg: Buffer, bySeq: Map<number, NlReply>): void {
  for (const msg of splitMessages(dg)) {
    const reply = bySeq.get(msg.seq);
    if (!reply) continue; // a late answer to a request that already timed out
    if (msg.type === NLMSG_ERROR) reply.ack = decodeAck(msg);
    else if (msg.type === NLMSG_DONE) reply.ack = decodeAck(msg, true);
    else reply.messages.push(msg);
  }
}

/**
 * A socket bound to multicast groups (e.g. RTNLGRP_LINK), read by its own worker thread.
 * stop() raises a shared flag the worker checks every 200 ms, then waits for it to end.
 */
export class NetlinkListener {
  private worker: Worker | null = null;
  private stopFlag: Int32Array | null = null;

  constructor(
    private readonly protocol: number,
    private readonly groups: number[],
  ) {}

  /** `onOverrun`: the kernel dropped notifications (ENOBUFS); re-read everything. */
  async start(onMessage: (msg: NlMsg) => void, onOverrun: (why: string) => void): Promise<void> {
    if (this.worker) return;
    const stop = new SharedArrayBuffer(4);
    const w = await spawn({
      mode: 'listen',
      protocol: this.protocol,
      groups: this.groups,
      stop,
      timeoutMs: 200,
    });
    w.on('message', (m: { datagram?: Uint8Array; overrun?: string }) => {
      if (m.overrun) onOverrun(m.overrun);
      if (!m.datagram) return;
      for (const msg of splitMessages(
        Buffer.from(m.datagram.buffer, m.datagram.byteOffset, m.datagram.byteLength),
      ))
        onMessage(msg);
    });
    w.on('error', (e) => onOverrun(`listener failed: ${e.message}`));
    this.worker = w;
    this.stopFlag = new Int32Array(stop);
  }

  async stop(): Promise<void> {
    const w = this.worker;
    if (!w || !this.stopFlag) return;
    this.worker = null;
    Atomics.store(this.stopFlag, 0, 1);
    this.stopFlag = null;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => void w.terminate().then(() => resolve()), 1000);
      w.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
    w.removeAllListeners();
  }
}
