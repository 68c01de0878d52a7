/**
 * Mirror controls of one VF: copy its traffic (in, out or both) to another VF on the same
 * PF, or stop. PUT / DELETE /v1/vfs/{name}/mirror.
 */
import type { ChangeResult, VfView } from '../model/index.js';
import { api } from './api.js';
import { h } from './dom.js';

function describe(v: VfView, names: Map<string, string>): string {
  const d = v.mirror.desired;
  const o = v.mirror.observed;
  const nameOf = (vf: number) => names.get(`${v.pf}#${vf}`) ?? `VF ${vf}`;
  // A policy without a mirror while the NIC still mirrors (the clear is being applied, or
  // failed) must not read as done: the NIC is what the operator debugs with.
  if (!d)
    return o
      ? `mirror off in the policy — the NIC still mirrors (${o.direction}) to ${nameOf(o.targetVf)}`
      : 'not mirrored';
  const target = nameOf(d.targetVf);
  const applied = o && o.targetVf === d.targetVf && o.direction === d.direction;
  return `mirrored (${d.direction}) to ${target}${applied ? '' : ' — not yet on the NIC'}`;
}

export function mirrorPanel(v: VfView, all: VfView[], onDone: () => void): HTMLElement {
  const names = new Map(all.map((x) => [`${x.pf}#${x.vf}`, x.name]));
  const peers = all.filter((x) => x.pf === v.pf && x.name !== v.name);
  const target = h(
    'select',
    { name: 'target', id: 'mirror-target' },
    ...peers.map((p) =>
      h('option', { value: p.name, selected: p.name === v.policy.mirror?.target }, p.name),
    ),
  );
  const direction = h(
    'select',
    { name: 'direction', id: 'mirror-direction' },
    ...(['all', 'in', 'out'] as const).map((d) =>
      h('option', { value: d, selected: d === v.policy.mirror?.direction }, d),
    ),
  );
  const status = h('span', { class: 'form-status', role: 'status' }, describe(v, names));
  const root = h('div', { class: 'mirror', id: 'mirror' });
  const run = async (method: 'PUT' | 'DELETE') => {
    status.textContent = 'working…';
    // Until the answer comes, refreshes leave this panel alone (see isBusy).
    root.dataset.busy = method;
    try {
      const path = `/v1/vfs/${encodeURIComponent(v.name)}/mirror`;
      const body =
        method === 'PUT' ? { target: target.value, direction: direction.value } : undefined;
      const r = await api<ChangeResult>(method, path, body);
      status.textContent = r.vf ? describe(r.vf, names) : 'done';
      onDone();
    } catch (err) {
      status.textContent = (err as Error).message;
    } finally {
      delete root.dataset.busy;
    }
  };
  root.append(
    h('h3', {}, `Mirror of ${v.name}`),
    h('label', {}, 'to ', target),
    h('label', {}, ' direction ', direction),
    h(
      'button',
      {
        type: 'button',
        id: 'mirror-set',
        onclick: () => void run('PUT'),
        disabled: peers.length === 0,
      },
      'Set mirror',
    ),
    h('button', { type: 'button', id: 'mirror-clear', onclick: () => void run('DELETE') }, 'Clear'),
    h('div', {}, status),
  );
  return root;
}

/**
 * Whether a mirror change of this panel waits for its answer. A refresh of the VFs during
 * that time (the change's own vfChanged event comes before the NIC is changed) must not
 * replace the panel: it would show the new policy as done before the daemon answered, and
 * the answer would land in a panel no longer on the page.
 */
export function isBusy(slot: Element): boolean {
  return slot.querySelector('#mirror[data-busy]') !== null;
}
