/**
 * Mirror controls of one VF: copy its traffic (in, out or both) to another VF on the same
 * PF, or stop. PUT / DELETE /v1/vfs/{name}/mirror.
 */
import type { ChangeResult, VfView } from '../model/index.js';
import { api } from './api.js';
import { h } from './dom.js';

function describe(v: VfView, names: Map<string, string>): string {
  const d = v.mirror.desired;
  if (!d) return 'not mirrored';
  const target = names.get(`${v.pf}#${d.targetVf}`) ?? `VF ${d.targetVf}`;
  const o = v.mirror.observed;
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
  const run = async (method: 'PUT' | 'DELETE') => {
    status.textContent = 'working…';
    try {
      const path = `/v1/vfs/${encodeURIComponent(v.name)}/mirror`;
      const body =
        method === 'PUT' ? { target: target.value, direction: direction.value } : undefined;
      const r = await api<ChangeResult>(method, path, body);
      status.textContent = r.vf ? describe(r.vf, names) : 'done';
      onDone();
    } catch (err) {
      status.textContent = (err as Error).message;
    }
  };
  return h(
    'div',
    { class: 'mirror', id: 'mirror' },
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
}
