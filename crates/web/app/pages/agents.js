// The agents the signed-in user may talk to, as the server lists them (its visibility rules
// decide; nothing is filtered here). Chat in the browser builds on this page (docs/WEB.md).
import { html, useEffect, useState } from '../lib/html.js';
import { get } from '../lib/api.js';
import { ErrorLine } from '../lib/form.js';

export function Agents() {
  const [agents, setAgents] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    get('/api/agents').then(setAgents).catch(setError);
  }, []);
  return html`
    <main>
      <h1>Agents</h1>
      <${ErrorLine} error=${error} />
      ${agents === null && !error && html`<p>Loading…</p>`}
      ${agents && agents.length === 0 && html`<p>No agent is shared with you yet.</p>`}
      <ul class="agents">
        ${(agents ?? []).map((a) => html`
          <li class="card">
            <h2><a href=${'/chat/' + a.id}>${a.name}</a>${a.isPersonal ? html` <span class="tag">personal</span>` : ''}</h2>
            ${a.tagline && html`<p class="tagline">${a.tagline}</p>`}
            ${a.greeting && html`<p>${a.greeting}</p>`}
            <p class="meta">${a.model ? 'Model: ' + a.model : 'No model yet: an admin adds a provider.'}</p>
          </li>`)}
      </ul>
    </main>`;
}
