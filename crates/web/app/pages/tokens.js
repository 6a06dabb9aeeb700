// The caller's API tokens, on the profile page: each with its scopes, when it was last used and
// when it expires; a new one is shown once (with a curl example), and any can be revoked at once.
// The server decides what a token may do; the scopes offered are the ones the role can hold.
import { html, useEffect, useState } from '../lib/html.js';
import { api, get, post } from '../lib/api.js';
import { ErrorLine, Field, useAction } from '../lib/form.js';

const SCOPES = [
  ['chat', 'Chat with agents'],
  ['sessions', 'Read and manage conversations'],
  ['memory', 'Read and manage memory'],
  ['agents:read', 'List agents'],
  ['agents:write', 'Create and change agents', 'admin'],
  ['usage:read', 'Read usage and costs', 'admin'],
  ['audit:read', 'Read the audit log', 'admin'],
  ['admin', 'Everything your role may do', 'admin'],
];
const EMPTY = { name: '', scopes: ['chat', 'agents:read'], days: '90' };

const when = (iso) => (iso ? new Date(iso).toLocaleString() : null);

export function ApiTokens({ user }) {
  const [tokens, setTokens] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [draft, setDraft] = useState(EMPTY);
  const [shown, setShown] = useState(null);
  const [action, run] = useAction();
  const load = () => get('/api/tokens').then(setTokens).catch(setLoadError);
  useEffect(() => { load(); }, []);

  const offered = SCOPES.filter(([, , only]) => !only || user.role === 'admin');
  const toggle = (scope) => setDraft({
    ...draft,
    scopes: draft.scopes.includes(scope) ? draft.scopes.filter((s) => s !== scope) : [...draft.scopes, scope],
  });
  async function create(e) {
    e.preventDefault();
    const days = draft.days.trim();
    const body = { name: draft.name.trim(), scopes: draft.scopes, expiresInDays: days ? Number(days) : null };
    const token = await run(() => post('/api/tokens', body));
    if (token) {
      setShown(token);
      setDraft(EMPTY);
      load();
    }
  }
  async function revoke(token) {
    if (!confirm(`Revoke ${token.name}? Scripts using it are refused from now on.`)) return;
    if (await run(() => api('DELETE', `/api/tokens/${token.id}`))) {
      if (shown?.id === token.id) setShown(null);
      load();
    }
  }

  return html`
    <section class="card" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <p class="meta">Scripts send a token as <code>Authorization: Bearer …</code> and act as you, limited to its scopes.</p>
      <${ErrorLine} error=${loadError ?? action.error} />
      ${shown && html`
        <div role="status">
          <p><strong>Token ${shown.name}</strong> — shown only now; store it where the script runs.</p>
          <label for="token-value">Token</label>
          <input id="token-value" readonly value=${shown.token} onFocus=${(e) => e.currentTarget.select()} />
          <pre class="example" aria-label="Example request">curl -H 'Authorization: Bearer ${shown.token}' ${location.origin}/api/agents</pre>
        </div>`}
      ${tokens && (tokens.length === 0 ? html`<p class="meta">No token yet.</p>` : html`
        <ul class="token-list" aria-label="Your API tokens">
          ${tokens.map((t) => html`
            <li key=${t.id}>
              <div>
                <strong>${t.name}</strong>
                <p class="meta">${t.scopes.join(', ')} · last used ${when(t.lastUsedAt) ?? 'never'} · expires ${when(t.expiresAt) ?? 'never'}</p>
              </div>
              <button type="button" class="secondary" disabled=${action.busy} onClick=${() => revoke(t)}>Revoke ${t.name}</button>
            </li>`)}
        </ul>`)}
      <form onSubmit=${create}>
        <h3>New token</h3>
        <${Field} id="token-name" label="Name" value=${draft.name} onInput=${(v) => setDraft({ ...draft, name: v })} hint="What uses it, e.g. ci or backup script." />
        <fieldset>
          <legend>Scopes</legend>
          ${offered.map(([scope, label]) => html`
            <label class="choice" key=${scope}>
              <input type="checkbox" name="token-scope" value=${scope} checked=${draft.scopes.includes(scope)} onChange=${() => toggle(scope)} />
              <span>${label} <code>${scope}</code></span>
            </label>`)}
        </fieldset>
        <${Field} id="token-days" label="Expires after (days, empty for never)" type="number" value=${draft.days} required=${false}
          onInput=${(v) => setDraft({ ...draft, days: v })} />
        <button type="submit" disabled=${action.busy}>Create the token</button>
      </form>
    </section>`;
}
