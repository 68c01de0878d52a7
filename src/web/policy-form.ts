/**
 * Edit one VF's policy. Every change is dry-run through POST /v1/validate (the daemon's own
 * validation of the whole configuration, so the answer is exactly what a save would get)
 * and each problem is shown next to its field; Save stays disabled until the daemon finds
 * none, then PUTs /v1/vfs/{name}. Values are sent as typed: "abc" in a number field goes
 * to the daemon as the string "abc", so its error names the field instead of the page
 * guessing.
 */
import type { ChangeResult, ValidateResult, VfView } from '../model/index.js';
import { api, HttpError, type Problem } from './api.js';
import { debounce, h } from './dom.js';

type Kind = 'list-number' | 'list-text' | 'number' | 'bool' | 'link';
const FIELDS: [field: string, label: string, kind: Kind][] = [
  ['vlans', 'VLANs', 'list-number'],
  ['untagged', 'untagged', 'bool'],
  ['macs', 'MACs (first = default)', 'list-text'],
  ['guestMacs', 'guest may add MACs', 'number'],
  ['macAntiSpoof', 'MAC anti-spoof', 'bool'],
  ['vlanAntiSpoof', 'VLAN anti-spoof', 'bool'],
  ['trust', 'trust', 'bool'],
  ['allowBroadcast', 'broadcast', 'bool'],
  ['allowMulticast', 'multicast', 'bool'],
  ['allowUnknownUnicast', 'unknown unicast', 'bool'],
  ['linkState', 'link state', 'link'],
  ['mtu', 'MTU', 'number'],
  ['minTxRate', 'min tx rate (Mb/s)', 'number'],
  ['maxTxRate', 'max tx rate (Mb/s)', 'number'],
];

function numberOrRaw(s: string): number | string {
  const t = s.trim();
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

function inputFor(field: string, kind: Kind, value: unknown): HTMLInputElement | HTMLSelectElement {
  if (kind === 'bool')
    return h('input', { type: 'checkbox', name: field, checked: value === true });
  if (kind === 'link')
    return h(
      'select',
      { name: field },
      ...['auto', 'enable', 'disable'].map((o) =>
        h('option', { value: o, selected: o === value }, o),
      ),
    );
  const text = Array.isArray(value) ? value.join(', ') : value === undefined ? '' : String(value);
  return h('input', {
    type: 'text',
    name: field,
    value: text,
    autocomplete: 'off',
    spellcheck: false,
  });
}

export class PolicyForm {
  readonly root: HTMLFormElement;
  private readonly view: VfView;
  private readonly inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  private readonly errors = new Map<string, HTMLElement>();
  private readonly general: HTMLElement;
  private readonly status: HTMLElement;
  private readonly save: HTMLButtonElement;
  private checking = 0;

  constructor(view: VfView) {
    this.view = view;
    this.general = h('ul', { class: 'problems', 'data-error-for': '(other)' });
    this.status = h('span', { class: 'form-status', role: 'status' });
    this.save = h('button', { type: 'submit', disabled: true }, 'Save policy');
    const rows = FIELDS.map(([field, label, kind]) => {
      const input = inputFor(field, kind, (view.policy as Record<string, unknown>)[field]);
      const err = h('span', { class: 'field-error', 'data-error-for': field });
      this.inputs.set(field, input);
      this.errors.set(field, err);
      return h('label', { 'data-field': field }, h('span', { class: 'label' }, label), input, err);
    });
    const check = debounce(() => void this.validate(), 250);
    this.root = h(
      'form',
      { class: 'policy', id: 'policy-form', novalidate: true, oninput: check, onchange: check },
      h('h3', {}, `Policy of ${view.name}`),
      ...rows,
      this.general,
      h('div', { class: 'actions' }, this.save, this.status),
    );
    this.root.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
  }

  /** The policy as the form now says, on top of the stored one (other fields unchanged). */
  body(): Record<string, unknown> {
    const b: Record<string, unknown> = { ...this.view.policy };
    for (const [field, , kind] of FIELDS) {
      const input = this.inputs.get(field)!;
      const raw = input.value;
      if (kind === 'bool') b[field] = (input as HTMLInputElement).checked;
      else if (kind === 'link') b[field] = raw;
      else if (kind === 'number') {
        if (raw.trim() === '') delete b[field];
        else b[field] = numberOrRaw(raw);
      } else {
        const items = raw.split(/[\s,]+/).filter(Boolean);
        b[field] = kind === 'list-number' ? items.map(numberOrRaw) : items;
      }
    }
    return b;
  }

  async validate(): Promise<boolean> {
    const mine = ++this.checking;
    this.save.disabled = true;
    this.status.textContent = 'checking…';
    try {
      const r = await api<ValidateResult>('POST', '/v1/validate', { vfs: [this.body()] });
      if (mine !== this.checking) return false; // a newer edit is being checked
      this.show(r.problems);
      this.save.disabled = !r.ok;
      this.status.textContent = r.ok ? 'valid' : `${r.problems.length} problem(s)`;
      return r.ok;
    } catch (err) {
      this.status.textContent = (err as Error).message;
      return false;
    }
  }

  private show(problems: Problem[]): void {
    for (const el of this.errors.values()) el.textContent = '';
    for (const label of this.root.querySelectorAll('label')) label.classList.remove('invalid');
    this.general.replaceChildren();
    for (const p of problems) {
      const field = p.field.split('.')[0];
      const el = p.file === `vfs/${this.view.name}` ? this.errors.get(field) : undefined;
      const text = `${p.message}${p.fix ? ` — ${p.fix}` : ''}`;
      if (el) {
        el.textContent = el.textContent ? `${el.textContent}; ${text}` : text;
        el.parentElement?.classList.add('invalid');
      } else this.general.append(h('li', {}, `${p.file} ${p.field}: ${text}`));
    }
  }

  private async submit(): Promise<void> {
    if (!(await this.validate())) return;
    this.save.disabled = true;
    try {
      const r = await api<ChangeResult>(
        'PUT',
        `/v1/vfs/${encodeURIComponent(this.view.name)}`,
        this.body(),
      );
      this.status.textContent = r.changed ? `saved, revision ${r.revision}` : 'no change';
    } catch (err) {
      if (err instanceof HttpError) this.show(err.problems);
      this.status.textContent = (err as Error).message;
    }
  }
}
