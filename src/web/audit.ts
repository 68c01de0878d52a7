/**
 * The audit panel: the history the daemon keeps (GET /v1/audit, newest first, a page at a
 * time with "older"), and the live entries of the event stream on top. An entry is shown
 * once however it arrives (history and stream overlap after a reload or a reconnect).
 */
import type { AuditEntry, AuditPageView } from '../model/index.js';
import { api } from './api.js';
import { h } from './dom.js';

const PAGE = 50;
/** Live entries kept above the history before the oldest live ones are dropped. */
const KEEP = 1000;

function what(e: AuditEntry): string {
  const r = e.request as { type?: string } | null;
  return e.action === 'guest.request' && r?.type ? `${e.action} ${r.type}` : e.action;
}

function item(e: AuditEntry): HTMLLIElement {
  const t = new Date(e.time);
  return h(
    'li',
    { class: `result-${e.result}`, 'data-seq': e.seq, 'data-action': e.action },
    h(
      'time',
      { datetime: e.time, title: t.toLocaleString() },
      `#${e.seq} ${t.toLocaleTimeString()}`,
    ),
    h('span', { class: 'who' }, e.who),
    h('span', { class: 'what' }, what(e)),
    h('span', { class: 'target' }, e.target),
    h('span', { class: 'result' }, e.result),
    h('span', { class: 'reason' }, e.reason),
  );
}

export class AuditStream {
  readonly root: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly more: HTMLButtonElement;
  private readonly note: HTMLElement;
  private readonly seen = new Set<number>();
  private next: number | null = null;

  constructor() {
    this.list = h('ol', { class: 'audit', id: 'audit' });
    this.more = h(
      'button',
      { type: 'button', id: 'audit-older', hidden: true, onclick: () => void this.older() },
      'older entries',
    );
    this.note = h('span', { class: 'form-status', id: 'audit-note' });
    this.root = h('div', { class: 'audit-panel' }, this.list, h('div', {}, this.more, this.note));
  }

  /** The newest page of history (on load and after a reconnect). */
  async load(): Promise<void> {
    const page = await api<AuditPageView>('GET', `/v1/audit?limit=${PAGE}`);
    // Oldest first, so each lands on top of the ones before it.
    for (const e of [...page.entries].reverse()) this.add(e);
    if (this.next === null || (page.next !== null && page.next < this.next)) this.setNext(page);
    if (page.entries.length === 0) this.note.textContent = 'no entries yet';
  }

  /** The page before the oldest entry shown. */
  private async older(): Promise<void> {
    if (this.next === null) return;
    this.more.disabled = true;
    try {
      const page = await api<AuditPageView>('GET', `/v1/audit?limit=${PAGE}&before=${this.next}`);
      for (const e of page.entries) {
        if (this.seen.has(e.seq)) continue;
        this.seen.add(e.seq);
        this.list.append(item(e));
      }
      this.setNext(page);
    } catch (err) {
      this.note.textContent = (err as Error).message;
    } finally {
      this.more.disabled = false;
    }
  }

  private setNext(page: AuditPageView): void {
    this.next = page.next;
    this.more.hidden = page.next === null;
    this.note.textContent = page.next === null ? 'start of the log' : '';
  }

  /** A live entry (or one of the newest page): on top, in seq order, once. */
  add(e: AuditEntry): void {
    if (this.seen.has(e.seq)) return;
    this.seen.add(e.seq);
    this.note.textContent = this.note.textContent === 'no entries yet' ? '' : this.note.textContent;
    let before: Element | null = this.list.firstElementChild;
    while (before && Number((before as HTMLElement).dataset.seq) > e.seq)
      before = before.nextElementSibling;
    this.list.insertBefore(item(e), before);
    while (this.list.children.length > KEEP + PAGE) {
      const last = this.list.lastElementChild as HTMLElement;
      this.seen.delete(Number(last.dataset.seq));
      last.remove();
      this.next = Number(last.dataset.seq) + 1;
      this.more.hidden = false;
    }
  }
}
