import { Worker } from 'node:worker_threads';
import { NLM_F_DUMP, NLMSG_DONE, NLMSG_ERROR } from './constants.js';
import { decodeAck, type NlAck, type NlMsg, setSeq, splitMessages } from './message.js';
import {
  CH_CLOSE,
  CH_DONE,
  CH_IDLE,
  CH_JOB,
  type Channel,
  type JobResult,
  RES_DATAGRAMS,
  RES_ERROR,
  type WorkerConfig,
} from './socket-worker.js';

/** The kernel's whole answer to one request: data messages (if any) and the final ACK. */
export interface NlReply {
  seq: number;
  messages: NlMsg[];
  ack: NlAck;
}

/** Most messages per send: keeps the ACKs of one send well inside the receive buffer. */
const MAX_BATCH = 128;
const MAX_BATCH_BYTES = 64 * 1024;
/**
 * Shared request and answer buffers. Linux commits a page only when it is touched, so the
 * idle cost is what one job used. Requests are batched to 64 KiB, so 1 MiB leaves room for
 * one oversized message; an answer past 4 MiB (dumps of many 256-VF PFs) comes by postMessage.
 */
const REQ_BYTES = 1 << 20;
/** Atomics.waitAsync is in Node 20's V8 but in TypeScript's lib only from es2024. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      i: number,
      v: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;
const RES_BYTES = 4 << 20;

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
  private channel: Channel | null = null;
  private nextSeq = 1;
  /** Jobs go through the channel one at a time, in order: each waits for the one before. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The job in flight: resolves it when the worker dies or the socket closes. */
  private inFlight: ((r: JobResult) => void) | null = null;
  /** Answers too big for the channel, and who waits for the next one. */
  private readonly posted: JobResult[] = [];
  private postedWaiter: ((r: JobResult) => void) | null = null;

  /** `channel` sizes the shared buffers (tests make them small to reach the fallbacks). */
  constructor(
    private readonly protocol: number,
    private readonly timeoutMs = 5000,
    private readonly channelBytes = { request: REQ_BYTES, answer: RES_BYTES },
  ) {}

  async open(): Promise<void> {
    if (this.worker) return;
    const channel: Channel = {
      ctl: new SharedArrayBuffer(16),
      req: new SharedArrayBuffer(this.channelBytes.request),
      seqs: new SharedArrayBuffer(MAX_BATCH * 4),
      res: new SharedArrayBuffer(this.channelBytes.answer),
    };
    const w = await spawn({
      mode: 'request',
      protocol: this.protocol,
      groups: [],
      timeoutMs: this.timeoutMs,
      channel,
    });
    w.on('message', (r: JobResult) => {
      const waiter = this.postedWaiter;
      this.postedWaiter = null;
      if (waiter) waiter(r);
      else this.posted.push(r);
    });
    w.on('error', (e) => this.failAll(`netlink worker failed: ${e.message}`));
    w.on('exit', () => this.failAll('netlink worker exited'));
    this.worker = w;
    this.channel = channel;
  }

  async close(): Promise<void> {
    const w = this.worker;
    const ch = this.channel;
    if (!w || !ch) return;
    this.worker = null;
    this.channel = null;
    w.removeAllListeners();
    const ctl = new Int32Array(ch.ctl);
    Atomics.store(ctl, 0, CH_CLOSE);
    Atomics.notify(ctl, 0);
    await w.terminate();
    this.failAll('netlink socket closed');
  }

  private failAll(error: string): void {
    const done = this.inFlight;
    this.inFlight = null;
    done?.({ id: 0, error, errno: 0 });
    const waiter = this.postedWaiter;
    this.postedWaiter = null;
    waiter?.({ id: 0, error, errno: 0 });
  }

  private run(messages: Buffer[]): Promise<JobResult> {
    if (!this.worker) {
      return Promise.reject(new Error('netlink socket is not open (call start() first)'));
    }
    const next = this.queue.then(() => this.runNow(messages));
    this.queue = next.catch(() => {});
    return next;
  }

  /** Hands one job to the worker through the channel and reads its answer. */
  private runNow(messages: Buffer[]): Promise<JobResult> {
    const ch = this.channel;
    if (!ch) return Promise.resolve({ id: 0, error: 'netlink socket closed', errno: 0 });
    const bytes = messages.reduce((n, m) => n + m.length, 0);
    if (bytes > ch.req.byteLength) {
      return Promise.resolve({
        id: 0,
        errno: 0,
        error: `netlink request of ${bytes} bytes does not fit the worker's ${ch.req.byteLength}-byte request buffer; fix: send it in smaller parts`,
      });
    }
    const ctl = new Int32Array(ch.ctl);
    const req = new Uint8Array(ch.req);
    const seqs = new Uint32Array(ch.seqs);
    let off = 0;
    for (const [i, m] of messages.entries()) {
      req.set(m, off);
      off += m.length;
      seqs[i] = m.readUInt32LE(8);
    }
    ctl[1] = off;
    ctl[2] = messages.length;
    return new Promise<JobResult>((resolve) => {
      let settled = false;
      const finish = (r: JobResult) => {
        if (settled) return;
        settled = true;
        this.inFlight = null;
        resolve(r);
      };
      this.inFlight = finish;
      Atomics.store(ctl, 0, CH_JOB);
      Atomics.notify(ctl, 0);
      const wait = waitAsync(ctl, 0, CH_JOB);
      const read = () => {
        if (settled || Atomics.load(ctl, 0) !== CH_DONE) return;
        const kind = ctl[1];
        const res = Buffer.from(ch.res);
        if (kind === RES_DATAGRAMS) {
          const datagrams: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; i < ctl[2]; i++) {
            const len = res.readUInt32LE(at);
            datagrams.push(Buffer.from(res.subarray(at + 4, at + 4 + len)));
            at += 4 + len;
          }
          Atomics.store(ctl, 0, CH_IDLE);
          finish({ id: 0, datagrams });
        } else if (kind === RES_ERROR) {
          const error = res.toString('utf8', 0, ctl[3]);
          const errno = ctl[2];
          Atomics.store(ctl, 0, CH_IDLE);
          finish({ id: 0, error, errno });
        } else {
          Atomics.store(ctl, 0, CH_IDLE);
          const r = this.posted.shift();
          if (r) finish(r);
          else this.postedWaiter = finish;
        }
      };
      if (wait.async) void wait.value.then(read);
      else read();
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
