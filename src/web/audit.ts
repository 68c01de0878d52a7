/** The live audit stream: newest first, bounded, colour by result. */
import type { AuditEntry } from '../model/index.js';
import { h } from './dom.js';

const KEEP = 200;

function what(e: AuditEntry): string {
  const r = e.request as { type?: string } | null;
  return e.action === 'guest.request' && r?.type ? `${e.action} ${r.type}` : e.action;
}

export class AuditStream {
  readonly root: HTMLOListElement;

  constructor() {
    this.root = h('ol', { class: 'audit', id: 'audit' });
  }

  add(e: AuditEntry): void {
    const li = h(
      'li',
      { class: `result-${e.result}`, 'data-seq': e.seq, 'data-action': e.action },
      h('time', { datetime: e.time }, new Date(e.time).toLocaleTimeString()),
      h('span', { class: 'who' }, e.who),
      h('span', { class: 'what' }, what(e)),
      h('span', { class: 'target' }, e.target),
      h('span', { class: 'result' }, e.result),
      h('span', { class: 'reason' }, e.reason),
    );
    this.root.prepend(li);
    while (this.root.children.length > KEEP) this.root.lastElementChild?.remove();
  }
}
