// Admin: groups of people (enterprise). Create and delete groups, and choose each group's members
// from the accounts; a save replaces the members at once, as the API does. Without a licence the
// server refuses, and the page says where to get one.
import { html, useEffect, useState } from '../../lib/html.js';
import { api, get, post } from '../../lib/api.js';
import { ErrorLine, Field, useAction } from '../../lib/form.js';

export function Groups() {
  const [groups, setGroups] = useState(null);
  const [people, setPeople] = useState([]);
  const [error, setError] = useState(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [open, setOpen] = useState(null);
  const [action, run] = useAction();

  const load = () => get('/api/groups').then(setGroups).catch(setError);
  useEffect(() => {
    load();
    get('/api/users?limit=100').then((u) => setPeople(u.users)).catch(() => {});
  }, []);

  async function create(e) {
    e.preventDefault();
    if (await run(() => post('/api/groups', { name, description }))) {
      setName('');
      setDescription('');
      load();
    }
  }
  async function remove(group) {
    if (await run(() => api('DELETE', `/api/groups/${group.id}`))) {
      if (open === group.id) setOpen(null);
      load();
    }
  }

  if (error?.code === 'enterprise_required') {
    return html`<main class="narrow"><h1>Groups</h1>
      <p class="meta">Groups need an enterprise licence (see <a href="/admin/license">Licence</a>).</p></main>`;
  }
  return html`
    <main>
      <h1>Groups</h1>
      <${ErrorLine} error=${error ?? action.error} />
      ${groups && (groups.length === 0 ? html`<p class="meta">No group yet.</p>` : html`
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Groups</caption>
            <thead><tr><th scope="col">Group</th><th scope="col">Members</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              ${groups.map((g) => html`
                <tr key=${g.id}>
                  <td>${g.name}${g.description && html` <span class="meta">${g.description}</span>`}</td>
                  <td>${g.memberCount}</td>
                  <td><div class="row-actions">
                    <button type="button" class="secondary" onClick=${() => setOpen(open === g.id ? null : g.id)}>Members of ${g.name}</button>
                    <button type="button" class="secondary" onClick=${() => remove(g)} disabled=${action.busy}>Delete ${g.name}</button>
                  </div></td>
                </tr>`)}
            </tbody>
          </table>
        </div>`)}
      ${open && html`<${Members} group=${groups.find((g) => g.id === open)} people=${people} onSaved=${load} />`}
      <form class="card" onSubmit=${create}>
        <h2>New group</h2>
        <${Field} id="group-name" label="Name" value=${name} onInput=${setName} />
        <${Field} id="group-description" label="Description" value=${description} onInput=${setDescription} required=${false} />
        <button type="submit" disabled=${action.busy}>Create group</button>
      </form>
    </main>`;
}

function Members({ group, people, onSaved }) {
  const [chosen, setChosen] = useState(null);
  const [action, run] = useAction();
  useEffect(() => {
    get(`/api/groups/${group.id}/members`).then((m) => setChosen(new Set(m.map((x) => x.userId)))).catch(() => setChosen(new Set()));
  }, [group.id]);
  if (!chosen) return null;
  const toggle = (id) => {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id); else next.add(id);
    setChosen(next);
  };
  async function save(e) {
    e.preventDefault();
    if (await run(() => api('PUT', `/api/groups/${group.id}/members`, { userIds: [...chosen] }))) onSaved();
  }
  return html`
    <form class="card" onSubmit=${save}>
      <fieldset>
        <legend>Members of ${group.name}</legend>
        ${people.map((p) => html`
          <label class="choice" key=${p.id}>
            <input type="checkbox" checked=${chosen.has(p.id)} onChange=${() => toggle(p.id)} />
            ${p.name} <span class="meta">${p.email}</span>
          </label>`)}
      </fieldset>
      <${ErrorLine} error=${action.error} />
      ${action.done && html`<p class="saved" role="status">Members saved.</p>`}
      <button type="submit" disabled=${action.busy}>Save members</button>
    </form>`;
}
