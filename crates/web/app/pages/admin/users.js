// Admin: people. Users (role, deactivate, reactivate, a password-reset link to copy) and invites
// (create with a link shown once, revoke). The server enforces every rule (not yourself, never
// the last admin); its refusal is shown as it says it.
import { html, useEffect, useState } from '../../lib/html.js';
import { api, get, post } from '../../lib/api.js';
import { Field, ErrorLine } from '../../lib/form.js';
import { Pager } from '../../lib/pager.js';
import { GroupPicker, useGroups } from '../../lib/groups.js';

const LIMIT = 50;

export function Users({ me }) {
  const [users, setUsers] = useState([]);
  const [page, setPage] = useState(1);
  const [total, setTotal] = useState(0);
  const [invites, setInvites] = useState([]);
  const [error, setError] = useState(null);
  const [link, setLink] = useState(null);

  async function load() {
    try {
      const [u, i] = await Promise.all([get(`/api/users?page=${page}&limit=${LIMIT}`), get('/api/users/invites')]);
      setUsers(u.users);
      setTotal(u.total);
      setInvites(i);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => { load(); }, [page]);

  // Runs an action, then reloads; a refusal is shown and nothing else changes.
  async function act(action) {
    setError(null);
    try {
      const result = await action();
      await load();
      return result;
    } catch (e) {
      setError(e);
      return null;
    }
  }

  const pending = invites.filter((i) => i.status === 'pending');
  const closed = invites.length - pending.length;
  const linkFor = (token) => `${location.origin}/invite/${encodeURIComponent(token)}`;

  return html`
    <main>
      <h1>Users</h1>
      <${ErrorLine} error=${error} />
      ${link && html`
        <div class="card" role="status">
          <p><strong>${link.label}</strong> — shown only now; copy it and send it yourself.</p>
          <label for="one-time-link">Link</label>
          <input id="one-time-link" readonly value=${link.url} onFocus=${(e) => e.currentTarget.select()} />
        </div>`}
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Users</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">E-mail</th><th scope="col">Role</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            ${users.map((u) => html`
              <tr key=${u.id}>
                <td>${u.name}</td>
                <td>${u.email}</td>
                <td>
                  <label class="visually-hidden" for=${'role-' + u.id}>Role of ${u.name}</label>
                  <select id=${'role-' + u.id} value=${u.role} disabled=${u.id === me.id}
                    onChange=${(e) => act(() => api('PATCH', `/api/users/${u.id}`, { role: e.currentTarget.value }))}>
                    <option value="member">member</option>
                    <option value="admin">admin</option>
                  </select>
                </td>
                <td>${u.banned ? 'deactivated' : 'active'}</td>
                <td><div class="row-actions">
                  ${u.id !== me.id && (u.banned
                    ? html`<button type="button" class="secondary" onClick=${() => act(() => post(`/api/users/${u.id}/reactivate`))}>Reactivate</button>`
                    : html`<button type="button" class="secondary" onClick=${() => confirm(`Deactivate ${u.name}? Their sessions end at once.`) && act(() => api('DELETE', `/api/users/${u.id}`))}>Deactivate</button>`)}
                  <button type="button" class="secondary" onClick=${async () => {
                    const r = await act(() => post(`/api/users/${u.id}/reset`));
                    if (r) setLink({ label: `Password-reset link for ${u.name} (24 hours)`, url: linkFor(r.token) });
                  }}>Reset link</button>
                </div></td>
              </tr>`)}
          </tbody>
        </table>
      </div>
      <${Pager} page=${page} total=${total} limit=${LIMIT} onPage=${setPage} noun="users" />
      <${InviteForm} onCreated=${async (body) => {
        const r = await act(() => post('/api/users/invite', body));
        if (r) setLink({ label: `Invite for ${r.email ?? 'a new ' + r.role} (7 days)`, url: linkFor(r.token) });
        return r;
      }} />
      <h2>Open invites and reset links</h2>
      ${pending.length === 0 && html`<p class="meta">None open.</p>`}
      <ul class="plain-list">
        ${pending.map((i) => html`
          <li key=${i.id}>
            ${i.type === 'reset' ? 'Reset' : 'Invite'} ${i.email ?? ''} (${i.role}${(i.groups ?? []).map((g) => `, ${g.name}`).join('')}) — until ${new Date(i.expiresAt).toLocaleString()}
            ${' '}<button type="button" class="secondary" onClick=${() => act(() => api('DELETE', `/api/users/invites/${i.id}`))}>Revoke</button>
          </li>`)}
      </ul>
      ${closed > 0 && html`<p class="meta">${closed} claimed or expired ${closed === 1 ? 'link is' : 'links are'} not shown.</p>`}
    </main>`;
}

function InviteForm({ onCreated }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('member');
  const [groupIds, setGroupIds] = useState([]);
  const groups = useGroups();
  async function submit(e) {
    e.preventDefault();
    const body = { role };
    if (email.trim()) body.email = email.trim();
    if (groupIds.length > 0) body.groupIds = groupIds;
    if (await onCreated(body)) {
      setEmail('');
      setGroupIds([]);
    }
  }
  return html`
    <form class="card" onSubmit=${submit}>
      <h2>Invite someone</h2>
      <${Field} id="invite-email" label="E-mail (optional)" type="email" value=${email} onInput=${setEmail} required=${false} />
      <div class="field">
        <label for="invite-role">Role</label>
        <select id="invite-role" value=${role} onChange=${(e) => setRole(e.currentTarget.value)}>
          <option value="member">member</option>
          <option value="admin">admin</option>
        </select>
      </div>
      ${groups && html`<${GroupPicker} id="invite-groups" legend="Groups the new account joins" groups=${groups}
        chosen=${groupIds} onChange=${setGroupIds} />`}
      <button type="submit">Create the invite link</button>
    </form>`;
}
