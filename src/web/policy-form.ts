/**
 * Create, edit or delete one VF's policy. Every change is dry-run through POST /v1/validate
 * (the daemon's own validation of the whole configuration, so the answer is exactly what a
 * save would get) and each problem is shown next to its field; Save stays disabled until the
 * daemon finds none, then PUTs /v1/vfs/{name}. Values are sent as typed: "abc" in a number
 * field goes to the daemon as the string "abc", so its error names the field instead of the
 * page guessing. Delete asks twice (the second click within a few seconds deletes).
 */
import type { ChangeResult, DeleteResult, PfView, ValidateResult, VfView } from '../model/index.js';
import { api, HttpError, type Problem } from './api.js';
import { debounce, h } from './dom.js';

type Kind =
  | 'list-number'
  | 'list-text'
  | 'number'
  | 'text'
  | 'bool'
  | 'argv'
  | { options: readonly string[] };
type Field = [field: string, label: string, kind: Kind];

/** Only when creating: who the VF is (a policy's PF and index never change in place). */
const IDENTITY: Field[] = [
  ['name', 'name', 'text'],
  ['pf', 'PF', { options: [] }],
  ['vf', 'VF index', 'number'],
];
const FIELDS: Field[] = [
  ['vlans', 'VLANs', 'list-number'],
  ['untagged', 'untagged', 'bool'],
  ['vlanProto', 'VLAN protocol', { options: ['802.1Q', '802.1ad'] }],
  ['vlanQoS', 'VLAN priority (PCP 0-7)', 'number'],
  ['stripOuterTag', 'strip outer tag', 'bool'],
  ['macs', 'MACs (first = default)', 'list-text'],
  ['guestMacs', 'guest may add MACs', 'number'],
  ['macAntiSpoof', 'MAC anti-spoof', 'bool'],
  ['vlanAntiSpoof', 'VLAN anti-spoof', 'bool'],
  ['trust', 'trust', 'bool'],
  ['allowBroadcast', 'broadcast', 'bool'],
  ['allowMulticast', 'multicast', 'bool'],
  ['allowUnknownUnicast', 'unknown unicast', 'bool'],
  ['linkState', 'link state', { options: ['auto', 'enable', 'disable'] }],
  ['mtu', 'MTU', 'number'],
  ['minTxRate', 'min tx rate (Mb/s)', 'number'],
  ['maxTxRate', 'max tx rate (Mb/s)', 'number'],
  ['trafficShares', 'traffic class shares (%)', 'list-number'],
  ['onStart', 'on start (argv)', 'argv'],
  ['onStop', 'on stop (argv)', 'argv'],
];
const NO_MIRROR = '(none)';

/** JSON with the top-level keys sorted: "the same policy" whatever order fields were set in. */
function canon(o: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))));
}

function numberOrRaw(s: string): number | string {
  const t = s.trim();
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

function select(name: string, options: readonly string[], value: unknown): HTMLSelectElement {
  return h(
    'select',
    { name },
    ...options.map((o) => h('option', { value: o, selected: o === value }, o)),
  );
}

function inputFor(field: string, kind: Kind, value: unknown): HTMLInputElement | HTMLSelectElement {
  if (kind === 'bool')
    return h('input', { type: 'checkbox', name: field, checked: value === true });
  if (typeof kind === 'object') return select(field, kind.options, value);
  const text = Array.isArray(value)
    ? value.join(kind === 'argv' ? ' ' : ', ')
    : value === undefined
      ? ''
      : String(value);
  return h('input', {
    type: 'text',
    name: field,
    value: text,
    autocomplete: 'off',
    spellcheck: false,
  });
}

/** What a new policy starts from: the first PF, its first index without a policy. */
function blank(pfs: PfView[], vfs: VfView[]): Record<string, unknown> {
  const pf = pfs[0];
  const used = new Set(vfs.filter((v) => v.pf === pf?.id).map((v) => v.vf));
  let vf = 0;
  while (used.has(vf)) vf++;
  return { name: '', pf: pf?.id ?? '', vf, vlans: [], macs: [] };
}

export interface PolicyFormOptions {
  /** The VF to edit; null creates a new policy. */
  view: VfView | null;
  vfs: VfView[];
  pfs: PfView[];
  /** After a save or delete, with the VF's name and what to tell the operator. */
  onDone: (name: string, deleted: boolean, status: string) => void;
  /** Status line to start with (a policy just created). */
  status?: string;
}

export class PolicyForm {
  readonly root: HTMLFormElement;
  private readonly o: PolicyFormOptions;
  private readonly base: Record<string, unknown>;
  private readonly fields: Field[];
  private readonly inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  private readonly errors = new Map<string, HTMLElement>();
  private readonly general: HTMLElement;
  private readonly status: HTMLElement;
  private readonly save: HTMLButtonElement;
  private checking = 0;
  /** The body last saved: while the form still says that, its status stays "saved, …". */
  private saved: string | null = null;
  private armed: ReturnType<typeof setTimeout> | null = null;

  constructor(o: PolicyFormOptions) {
    this.o = o;
    this.base = o.view ? { ...o.view.policy } : blank(o.pfs, o.vfs);
    const ids = IDENTITY.map(
      ([f, l, k]): Field => (f === 'pf' ? [f, l, { options: o.pfs.map((p) => p.id) }] : [f, l, k]),
    );
    this.fields = o.view ? FIELDS : [...ids, ...FIELDS];
    this.general = h('ul', { class: 'problems', 'data-error-for': '(other)' });
    this.status = h('span', { class: 'form-status', role: 'status' }, o.status ?? '');
    if (o.status) this.saved = canon(this.base);
    this.save = h('button', { type: 'submit', disabled: true }, o.view ? 'Save policy' : 'Create');
    const rows = this.fields.map(([field, label, kind]) => this.row(field, label, kind));
    const check = debounce(() => void this.validate(), 250);
    const title = o.view ? `Policy of ${o.view.name}` : 'New VF policy';
    this.root = h(
      'form',
      { class: 'policy', id: 'policy-form', novalidate: true, oninput: check, onchange: check },
      h('h3', {}, title),
      ...rows,
      this.mirrorRow(),
      this.general,
      h(
        'div',
        { class: 'actions' },
        this.save,
        o.view
          ? h(
              'button',
              { type: 'button', id: 'policy-delete', class: 'danger', onclick: () => this.del() },
              'Delete policy',
            )
          : null,
        this.status,
      ),
    );
    this.root.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    if (!o.view) void this.validate();
  }

  private row(field: string, label: string, kind: Kind): HTMLElement {
    const input = inputFor(field, kind, this.base[field]);
    const err = h('span', { class: 'field-error', 'data-error-for': field });
    this.inputs.set(field, input);
    this.errors.set(field, err);
    return h('label', { 'data-field': field }, h('span', { class: 'label' }, label), input, err);
  }

  /** Mirror target (a VF of the same PF) and direction, as one field of the policy. */
  private mirrorRow(): HTMLElement {
    const m = this.base.mirror as { target?: string; direction?: string } | undefined;
    const peers = this.o.vfs
      .filter((v) => v.pf === this.base.pf && v.name !== this.base.name)
      .map((v) => v.name);
    const target = select('mirror', [NO_MIRROR, ...peers], m?.target ?? NO_MIRROR);
    const direction = select('mirrorDirection', ['all', 'in', 'out'], m?.direction ?? 'all');
    const err = h('span', { class: 'field-error', 'data-error-for': 'mirror' });
    this.inputs.set('mirror', target);
    this.inputs.set('mirrorDirection', direction);
    this.errors.set('mirror', err);
    return h(
      'label',
      { 'data-field': 'mirror' },
      h('span', { class: 'label' }, 'mirror to'),
      h('span', { class: 'pair' }, target, direction),
      err,
    );
  }

  private get name(): string {
    return this.o.view?.name ?? this.inputs.get('name')?.value.trim() ?? '';
  }

  /** The policy as the form now says, on top of the stored one (other fields unchanged). */
  body(): Record<string, unknown> {
    const b: Record<string, unknown> = { ...this.base };
    for (const [field, , kind] of this.fields) {
      const input = this.inputs.get(field)!;
      const raw = input.value;
      if (kind === 'bool') b[field] = (input as HTMLInputElement).checked;
      else if (typeof kind === 'object' || kind === 'text') b[field] = raw.trim();
      else if (kind === 'number') {
        if (raw.trim() === '') delete b[field];
        else b[field] = numberOrRaw(raw);
      } else if (kind === 'argv') {
        const argv = raw.split(/\s+/).filter(Boolean);
        if (argv.length) b[field] = argv;
        else delete b[field];
      } else {
        const items = raw.split(/[\s,]+/).filter(Boolean);
        b[field] = kind === 'list-number' ? items.map(numberOrRaw) : items;
      }
    }
    const target = this.inputs.get('mirror')!.value;
    if (target === NO_MIRROR) delete b.mirror;
    else b.mirror = { target, direction: this.inputs.get('mirrorDirection')!.value };
    return b;
  }

  async validate(): Promise<boolean> {
    const mine = ++this.checking;
    const body = this.body();
    const unchanged = this.saved !== null && canon(body) === this.saved;
    this.save.disabled = true;
    if (!unchanged) this.status.textContent = 'checking…';
    try {
      const r = await api<ValidateResult>('POST', '/v1/validate', { vfs: [body] });
      if (mine !== this.checking) return false; // a newer edit is being checked
      this.show(r.problems);
      this.save.disabled = !r.ok;
      if (!unchanged) {
        this.saved = null;
        this.status.textContent = r.ok ? 'valid' : `${r.problems.length} problem(s)`;
      }
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
      const field = p.field.split(/[.[]/)[0];
      const mine = p.file === `vfs/${this.name}` || (!this.o.view && p.file === 'vfs/');
      const el = mine ? this.errors.get(field) : undefined;
      const text = `${p.message}${p.fix ? ` — ${p.fix}` : ''}`;
      if (el) {
        el.textContent = el.textContent ? `${el.textContent}; ${text}` : text;
        el.closest('label')?.classList.add('invalid');
      } else this.general.append(h('li', {}, `${p.file} ${p.field}: ${text}`));
    }
  }

  private async submit(): Promise<void> {
    if (!(await this.validate())) return;
    this.save.disabled = true;
    const body = this.body();
    try {
      const r = await api<ChangeResult>('PUT', `/v1/vfs/${encodeURIComponent(this.name)}`, body);
      this.saved = canon(body);
      const what = this.o.view ? 'saved' : 'created';
      this.status.textContent = r.changed ? `${what}, revision ${r.revision}` : 'no change';
      this.o.onDone(this.name, false, this.status.textContent);
    } catch (err) {
      if (err instanceof HttpError) this.show(err.problems);
      this.status.textContent = (err as Error).message;
    }
  }

  /** First click arms, a second within 4 s deletes the policy (the VF is released). */
  private del(): void {
    const btn = this.root.querySelector<HTMLButtonElement>('#policy-delete')!;
    if (!this.armed) {
      btn.textContent = `Really delete ${this.name}?`;
      this.armed = setTimeout(() => {
        this.armed = null;
        btn.textContent = 'Delete policy';
      }, 4000);
      return;
    }
    clearTimeout(this.armed);
    this.armed = null;
    btn.disabled = true;
    api<DeleteResult>('DELETE', `/v1/vfs/${encodeURIComponent(this.name)}`)
      .then(() => {
        this.status.textContent = `deleted ${this.name}`;
        this.o.onDone(this.name, true, this.status.textContent);
      })
      .catch((err: unknown) => {
        btn.disabled = false;
        this.status.textContent = (err as Error).message;
      });
  }
}
