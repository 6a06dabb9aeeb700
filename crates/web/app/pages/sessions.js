// The conversations panel of the chat page: the user's sessions with this agent, newest first,
// a search over all their sessions (the matched words highlighted), and for each session open,
// rename, export (Markdown) and delete. "New conversation" starts an empty session.
import { html, useEffect, useState } from '../lib/html.js';
import { api, get, post } from '../lib/api.js';
import { ErrorLine } from '../lib/form.js';

// A search snippet, its hits (between « and ») in <mark>; text stays text.
function Highlighted({ text }) {
  const parts = text.split(/[«»]/);
  return html`${parts.map((part, i) => (i % 2 === 1 ? html`<mark>${part}</mark>` : part))}`;
}

export function SessionsPanel({ agentId, current, refresh, onOpen, onNew }) {
  const [sessions, setSessions] = useState([]);
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState(null);
  const [error, setError] = useState(null);

  async function load() {
    try {
      setSessions((await get(`/api/sessions?agentId=${encodeURIComponent(agentId)}&limit=50`)).sessions);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => { load(); }, [agentId, refresh]);

  async function search(e) {
    e.preventDefault();
    setError(null);
    if (!query.trim()) { setHits(null); return; }
    try {
      setHits((await get(`/api/sessions/search?q=${encodeURIComponent(query)}`)).sessions);
    } catch (err) {
      setError(err);
    }
  }

  async function rename(s) {
    const title = prompt('New name for this conversation', s.title);
    if (title === null) return;
    try {
      await post(`/api/sessions/${s.id}/title`, { title });
      load();
    } catch (err) {
      setError(err);
    }
  }

  async function remove(s) {
    if (!confirm(`Delete the conversation "${s.title}"? Its messages are deleted too.`)) return;
    try {
      await api('DELETE', `/api/sessions/${s.id}`);
      if (s.id === current) onNew();
      load();
    } catch (err) {
      setError(err);
    }
  }

  const title = (s) => s.title || 'Untitled conversation';
  return html`
    <details class="sessions" open=${sessions.length > 0}>
      <summary>Conversations (${sessions.length})</summary>
      <button type="button" class="secondary" onClick=${onNew}>New conversation</button>
      <form class="session-search" role="search" onSubmit=${search}>
        <label for="session-search">Search your conversations</label>
        <input id="session-search" type="search" value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} />
        <button type="submit" class="secondary">Search</button>
      </form>
      <${ErrorLine} error=${error} />
      ${hits && html`
        <ul class="plain-list session-hits" aria-label="Search results">
          ${hits.length === 0 && html`<li class="meta">Nothing found.</li>`}
          ${hits.map((h) => html`
            <li key=${h.id}>
              ${h.agentId === agentId
                ? html`<button type="button" class="link" onClick=${() => onOpen(h.id)}>${title(h)}</button>`
                : html`<a href=${`/chat/${h.agentId}?session=${h.id}`}>${title(h)}</a>`}
              <p class="meta"><${Highlighted} text=${h.match} /></p>
            </li>`)}
        </ul>`}
      <ul class="plain-list session-list" aria-label="Conversations with this agent">
        ${sessions.map((s) => html`
          <li key=${s.id} class=${s.id === current ? 'current' : ''}>
            <button type="button" class="link" aria-current=${s.id === current ? 'true' : undefined} onClick=${() => onOpen(s.id)}>${title(s)}</button>
            <span class="meta"> ${new Date(s.lastActivityAt).toLocaleString()} · ${s.messageCount} messages</span>
            <div class="row-actions">
              <button type="button" class="secondary" onClick=${() => rename(s)}>Rename<span class="visually-hidden"> ${title(s)}</span></button>
              <a class="button-link" href=${`/api/sessions/${s.id}/export?format=md`} download>Export<span class="visually-hidden"> ${title(s)}</span></a>
              <button type="button" class="secondary" onClick=${() => remove(s)}>Delete<span class="visually-hidden"> ${title(s)}</span></button>
            </div>
          </li>`)}
      </ul>
    </details>`;
}
