// Groups where other pages offer them (agents, invites, budgets). Groups come with the
// enterprise licence: without one `useGroups` gives `null` and the pickers are not shown.
import { html, useEffect, useState } from './html.js';
import { get } from './api.js';

export function useGroups() {
  const [groups, setGroups] = useState(null);
  useEffect(() => {
    get('/api/groups').then(setGroups).catch(() => setGroups(null));
  }, []);
  return groups;
}

// Checkboxes, one per group; `chosen` is an array of ids.
export function GroupPicker({ id, legend, groups, chosen, onChange, hint }) {
  const toggle = (gid) => onChange(chosen.includes(gid) ? chosen.filter((g) => g !== gid) : [...chosen, gid]);
  return html`
    <fieldset id=${id}>
      <legend>${legend}</legend>
      ${hint && html`<p class="hint">${hint}</p>`}
      ${groups.length === 0 && html`<p class="hint">No group yet (see <a href="/admin/groups">Groups</a>).</p>`}
      ${groups.map((g) => html`
        <label class="choice" key=${g.id}>
          <input type="checkbox" checked=${chosen.includes(g.id)} onChange=${() => toggle(g.id)} />
          <span>${g.name}</span>
        </label>`)}
    </fieldset>`;
}
