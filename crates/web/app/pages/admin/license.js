// Admin: the enterprise licence. Where the organisation stands (edition, organisation, expiry,
// seats), and a key to paste: the server verifies it before storing anything, so a refused key
// leaves the licence as it was and says why.
import { html, useEffect, useState } from '../../lib/html.js';
import { api, get } from '../../lib/api.js';
import { ErrorLine, useAction } from '../../lib/form.js';

const STATES = {
  community: 'Community edition',
  trial: 'Enterprise trial',
  paid: 'Enterprise',
  expired: 'Expired',
};

export function License() {
  const [status, setStatus] = useState(null);
  const [error, setError] = useState(null);
  const [key, setKey] = useState('');
  const [action, run] = useAction();

  useEffect(() => { get('/api/enterprise/status').then(setStatus).catch(setError); }, []);

  async function install(e) {
    e.preventDefault();
    const next = await run(() => api('PUT', '/api/enterprise/key', { key }));
    if (next) {
      setStatus(next);
      setKey('');
    }
  }

  const seats = status && (status.maxUsers ? `${status.seatsUsed} of ${status.maxUsers}` : `${status.seatsUsed} (no limit)`);
  return html`
    <main class="narrow">
      <h1>Licence</h1>
      <${ErrorLine} error=${error} />
      ${status && html`
        <section class="card" aria-labelledby="licence-state">
          <h2 id="licence-state" data-testid="licence-state">${STATES[status.state] ?? status.state}</h2>
          ${status.state === 'community'
            ? html`<p class="meta">Usage by person, its CSV export, groups and restricted agents need an enterprise licence.</p>`
            : html`
              <dl class="facts">
                <dt>Organisation</dt><dd>${status.org}</dd>
                <dt>Type</dt><dd>${status.type}</dd>
                <dt>Expires</dt><dd>${new Date(status.expiresAt).toLocaleDateString()}${status.state !== 'expired' ? ` (${status.daysRemaining} days left)` : ''}</dd>
              </dl>`}
          <p class="meta" data-testid="seats">Seats in use: ${seats}</p>
          ${status.state === 'expired' && html`<p class="error" role="alert">The licence has expired: the enterprise features are off until a new key is installed.</p>`}
        </section>
        ${status.managedByEnv
          ? html`<p class="hint" role="note">This server's licence is set in its environment (PINCER_LICENSE); change it there.</p>`
          : html`
            <form class="card" onSubmit=${install}>
              <h2>Install a licence key</h2>
              <div class="field">
                <label for="licence-key">Licence key</label>
                <textarea id="licence-key" rows="5" required value=${key} onInput=${(e) => setKey(e.currentTarget.value)}></textarea>
                <p class="hint">As your vendor sent it. It is checked before it replaces the current licence.</p>
              </div>
              <${ErrorLine} error=${action.error} />
              ${action.done && html`<p class="saved" role="status">Licence installed.</p>`}
              <button type="submit" disabled=${action.busy}>Install</button>
            </form>`}`}
    </main>`;
}
