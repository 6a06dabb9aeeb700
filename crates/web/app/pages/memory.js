// Long-term memory: what the user's agents remember about them (search, add, delete), whether
// and how much of it agents are given, and what it holds. Only the user's own entries.
import { html, useEffect, useState } from '../lib/html.js';
import { api, get, post } from '../lib/api.js';
import { Field, ErrorLine, useAction } from '../lib/form.js';

export function Memory() {
  const [entries, setEntries] = useState(null);
  const [query, setQuery] = useState('');
  const [stats, setStats] = useState(null);
  const [error, setError] = useState(null);

  async function load(q = query) {
    try {
      const path = q.trim() ? `/api/memory/long_term?q=${encodeURIComponent(q)}` : '/api/memory/long_term';
      setEntries((await get(path)).memories);
      setStats(await get('/api/memory/stats'));
      setError(null);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => { load(''); }, []);

  async function remove(entry) {
    if (!confirm('Forget this? Agents will not be given it again.')) return;
    try {
      await api('DELETE', `/api/memory/long_term/${entry.id}`);
      load();
    } catch (e) {
      setError(e);
    }
  }

  const search = (e) => { e.preventDefault(); load(); };
  return html`
    <main class="narrow">
      <h1>Memory</h1>
      <p class="meta">What your agents remember about you: they save it with their memory tool, or you add it here.
        Only you and your own conversations see it.</p>
      ${stats && html`<p class="meta" role="status">${`${stats.totalMemories} ${stats.totalMemories === 1 ? 'entry' : 'entries'} (${stats.perSource.agent} saved by agents, ${stats.perSource.user} by you), ${stats.totalChars} characters.`}</p>`}
      <form class="session-search" role="search" onSubmit=${search}>
        <label for="memory-search">Search your memory</label>
        <input id="memory-search" type="search" value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} />
        <button type="submit" class="secondary">Search</button>
      </form>
      <${ErrorLine} error=${error} />
      ${entries && entries.length === 0 && html`<p class="meta">Nothing remembered${query.trim() ? ' matches' : ' yet'}.</p>`}
      <ul class="plain-list memory-list" aria-label="Memory entries">
        ${(entries ?? []).map((e) => html`
          <li key=${e.id}>
            <p class="plain">${e.content}</p>
            <p class="meta">${e.source === 'agent' ? 'Saved by an agent' : 'Added by you'} · ${new Date(e.createdAt).toLocaleString()}
              ${e.tags.length > 0 && html` · ${e.tags.map((t) => html`<span class="tag">${t}</span> `)}`}</p>
            <button type="button" class="secondary" onClick=${() => remove(e)}>Forget<span class="visually-hidden"> ${e.content.slice(0, 60)}</span></button>
          </li>`)}
      </ul>
      <${AddEntry} onAdded=${() => load()} />
      <${Settings} />
    </main>`;
}

function AddEntry({ onAdded }) {
  const [content, setContent] = useState('');
  const [tags, setTags] = useState('');
  const [state, run] = useAction();
  async function submit(e) {
    e.preventDefault();
    const body = { content, tags: tags.split(',').map((t) => t.trim()).filter(Boolean) };
    if (await run(() => post('/api/memory/long_term', body))) {
      setContent('');
      setTags('');
      onAdded();
    }
  }
  return html`
    <form class="card" onSubmit=${submit}>
      <h2>Add something to remember</h2>
      <div class="field">
        <label for="memory-content">What your agents should remember</label>
        <textarea id="memory-content" rows="3" required value=${content} onInput=${(e) => setContent(e.currentTarget.value)}></textarea>
      </div>
      <${Field} id="memory-tags" label="Tags (optional, separated by commas)" value=${tags} onInput=${setTags} required=${false} />
      <${ErrorLine} error=${state.error} />
      <button type="submit" disabled=${state.busy}>Remember this</button>
    </form>`;
}

function Settings() {
  const [settings, setSettings] = useState(null);
  const [state, run] = useAction();
  useEffect(() => { get('/api/memory/settings').then(setSettings).catch(() => setSettings(null)); }, []);
  if (!settings) return null;
  const set = (key, value) => setSettings({ ...settings, [key]: value });
  async function submit(e) {
    e.preventDefault();
    const saved = await run(() => post('/api/memory/settings', settings));
    if (saved) setSettings(saved);
  }
  return html`
    <form class="card" onSubmit=${submit}>
      <h2>Settings</h2>
      <label class="choice"><input type="checkbox" checked=${settings.enabled} onChange=${(e) => set('enabled', e.currentTarget.checked)} />
        <span>Agents with the memory tool may save and search what they remember</span></label>
      <label class="choice"><input type="checkbox" checked=${settings.autoInject} onChange=${(e) => set('autoInject', e.currentTarget.checked)} />
        <span>Give agents what is relevant to each message</span></label>
      <div class="field">
        <label for="memory-max-injected">At most this many entries per message (0–50)</label>
        <input id="memory-max-injected" type="number" min="0" max="50" required value=${settings.maxInjected}
          onInput=${(e) => set('maxInjected', Number(e.currentTarget.value))} />
      </div>
      <div class="field">
        <label for="memory-max-chars">An entry is at most this many characters (50–4,000)</label>
        <input id="memory-max-chars" type="number" min="50" max="4000" required value=${settings.maxEntryChars}
          onInput=${(e) => set('maxEntryChars', Number(e.currentTarget.value))} />
      </div>
      <${ErrorLine} error=${state.error} />
      ${state.done && html`<p class="saved" role="status">Saved.</p>`}
      <button type="submit" disabled=${state.busy}>Save the settings</button>
    </form>`;
}
