// Admin: model providers. Add one (checked live by the server, its refusal shown), make one the
// default, remove one. Keys are never shown again: only their last four characters.
import { html, useEffect, useState } from '../../lib/html.js';
import { api, get, post } from '../../lib/api.js';
import { ErrorLine } from '../../lib/form.js';
import { ProviderForm } from '../setup.js';

export function Providers() {
  const [providers, setProviders] = useState([]);
  const [error, setError] = useState(null);
  const load = () => get('/api/settings/providers').then(setProviders).catch(setError);
  useEffect(() => { load(); }, []);

  async function act(action) {
    setError(null);
    try {
      await action();
      await load();
    } catch (e) {
      setError(e);
    }
  }

  return html`
    <main>
      <h1>Providers</h1>
      <${ErrorLine} error=${error} />
      <ul class="agents">
        ${providers.map((p) => html`
          <li class="card" key=${p.provider}>
            <h2>${p.provider}${p.isDefault ? html` <span class="tag">default</span>` : ''}</h2>
            <p class="meta">${p.kind}${p.baseUrl ? ' · ' + p.baseUrl : ''}${p.hint ? ' · key …' + p.hint : ''}</p>
            <p class="meta">Default model: ${p.defaultModel ?? 'none'}</p>
            <div class="actions">
              ${!p.isDefault && html`<button type="button" class="secondary"
                onClick=${() => act(() => post('/api/settings/providers', { provider: p.provider, isDefault: true }))}>Make default</button>`}
              <button type="button" class="secondary" onClick=${() => confirm(`Remove ${p.provider}? Its agents move to the default provider.`)
                && act(() => api('DELETE', `/api/settings/providers?provider=${encodeURIComponent(p.provider)}`))}>Remove</button>
            </div>
          </li>`)}
      </ul>
      <${ProviderForm} title="Add a provider" path="/api/settings/providers" onDone=${load} />
    </main>`;
}
