// Admin: inbound webhooks. Create a slot for an agent (its secret is shown once, with a signed
// curl example), see each slot's recent deliveries and their answers, give a slot a new secret,
// remove it. The server checks every proof; this page only shows what it keeps.
import { html, useEffect, useState } from '../../lib/html.js';
import { get, post } from '../../lib/api.js';
import { ErrorLine, Field, useAction } from '../../lib/form.js';

const EMPTY = { name: '', agentId: '', description: '', signature: 'standard', timeout: '30' };

// A shell example that signs a delivery the Standard Webhooks way (openssl and curl only), or uses
// the plain secret header on a relaxed slot.
function example(url, secret, signature) {
  if (signature === 'body') {
    return `curl -X POST '${url}?wait=true' \\\n  -H 'content-type: application/json' \\\n  -H 'x-webhook-secret: ${secret}' \\\n  -d '{"message":"Hello"}'`;
  }
  return [
    `secret='${secret}'`,
    `id="msg_$(date +%s%N)"; ts="$(date +%s)"; body='{"message":"Hello"}'`,
    `key="$(printf %s "\${secret#whsec_}" | base64 -d | od -An -tx1 | tr -d ' \\n')"`,
    `sig="$(printf '%s.%s.%s' "$id" "$ts" "$body" | openssl dgst -sha256 -mac HMAC -macopt hexkey:"$key" -binary | base64)"`,
    `curl -X POST '${url}?wait=true' -H 'content-type: application/json' \\`,
    `  -H "webhook-id: $id" -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig" -d "$body"`,
  ].join('\n');
}

export function Webhooks() {
  const [slots, setSlots] = useState(null);
  const [agents, setAgents] = useState([]);
  const [error, setError] = useState(null);
  const [draft, setDraft] = useState(EMPTY);
  const [shown, setShown] = useState(null);
  const [action, run] = useAction();

  const load = () => get('/api/webhooks').then(setSlots).catch(setError);
  useEffect(() => {
    load();
    get('/api/agents').then((list) => setAgents(list.filter((a) => !a.isPersonal))).catch(() => {});
  }, []);

  const urlOf = (slot) => `${location.origin}${slot.url}`;
  const reveal = (slot) => setShown({ name: slot.name, secret: slot.secret, url: urlOf(slot), signature: slot.signature });

  async function create(e) {
    e.preventDefault();
    const body = {
      name: draft.name.trim(),
      agentId: draft.agentId,
      description: draft.description,
      signature: draft.signature,
      syncTimeoutSeconds: Number(draft.timeout),
    };
    const slot = await run(() => post('/api/webhooks/add', body));
    if (slot) {
      reveal(slot);
      setDraft(EMPTY);
      load();
    }
  }
  async function regenerate(slot) {
    if (!confirm(`Give ${slot.name} a new secret? The old one stops working at once.`)) return;
    const fresh = await run(() => post('/api/webhooks/regenerate', { name: slot.name }));
    if (fresh) {
      reveal(fresh);
      load();
    }
  }
  async function remove(slot) {
    if (!confirm(`Remove ${slot.name}? Senders get 401 from now on.`)) return;
    if (await run(() => post('/api/webhooks/remove', { name: slot.name }))) {
      if (shown?.name === slot.name) setShown(null);
      load();
    }
  }

  const agentName = (id) => agents.find((a) => a.id === id)?.name ?? 'an agent you cannot see';
  return html`
    <main>
      <h1>Webhooks</h1>
      <p class="meta">Outside systems post messages to a webhook; its agent answers them in a new conversation of yours.</p>
      <${ErrorLine} error=${error ?? action.error} />
      ${shown && html`
        <div class="card" role="status">
          <p><strong>Secret of ${shown.name}</strong> — shown only now; store it with the sender.</p>
          <label for="webhook-secret">Secret</label>
          <input id="webhook-secret" readonly value=${shown.secret} onFocus=${(e) => e.currentTarget.select()} />
          <label for="webhook-url">URL</label>
          <input id="webhook-url" readonly value=${shown.url} onFocus=${(e) => e.currentTarget.select()} />
          <p class="meta">Try it from a shell:</p>
          <pre class="example" aria-label="Example request">${example(shown.url, shown.secret, shown.signature)}</pre>
        </div>`}
      ${slots && (slots.length === 0 ? html`<p class="meta">No webhook yet.</p>` : slots.map((s) => html`
        <section class="card" key=${s.name} aria-labelledby=${'webhook-' + s.name}>
          <h2 id=${'webhook-' + s.name}>${s.name}</h2>
          <p class="meta">${agentName(s.agentId)} · ${s.signature === 'standard' ? 'Standard Webhooks signatures' : 'also body signature or plain secret'} · secret ${s.secretHint} · waits up to ${s.syncTimeoutSeconds} s</p>
          ${s.description && html`<p>${s.description}</p>`}
          <p><code>${urlOf(s)}</code></p>
          <${Deliveries} recent=${s.recent} />
          <div class="row-actions">
            <button type="button" class="secondary" onClick=${() => regenerate(s)} disabled=${action.busy}>New secret for ${s.name}</button>
            <button type="button" class="secondary" onClick=${() => remove(s)} disabled=${action.busy}>Remove ${s.name}</button>
          </div>
        </section>`))}
      <form class="card" onSubmit=${create}>
        <h2>New webhook</h2>
        <${Field} id="webhook-name" label="Name (in the URL: a-z, 0-9, -)" value=${draft.name} onInput=${(v) => setDraft({ ...draft, name: v })} />
        <div class="field">
          <label for="webhook-agent">Agent</label>
          <select id="webhook-agent" required value=${draft.agentId} onChange=${(e) => setDraft({ ...draft, agentId: e.currentTarget.value })}>
            <option value="">Choose…</option>
            ${agents.map((a) => html`<option value=${a.id}>${a.name}</option>`)}
          </select>
        </div>
        <${Field} id="webhook-description" label="Description" value=${draft.description} required=${false} onInput=${(v) => setDraft({ ...draft, description: v })} />
        <div class="field">
          <label for="webhook-signature">Proof senders give</label>
          <select id="webhook-signature" value=${draft.signature} onChange=${(e) => setDraft({ ...draft, signature: e.currentTarget.value })}>
            <option value="standard">Standard Webhooks signature (replay-safe)</option>
            <option value="body">Also a body signature or the plain secret</option>
          </select>
        </div>
        <${Field} id="webhook-timeout" label="Wait for the answer up to (seconds, 1-300)" type="number" value=${draft.timeout} onInput=${(v) => setDraft({ ...draft, timeout: v })} />
        <button type="submit" disabled=${action.busy}>Create webhook</button>
      </form>
    </main>`;
}

function Deliveries({ recent }) {
  if (recent.length === 0) return html`<p class="meta">No delivery yet.</p>`;
  return html`
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">Recent deliveries</caption>
        <thead><tr><th scope="col">Received</th><th scope="col">State</th><th scope="col">Answer</th></tr></thead>
        <tbody>
          ${recent.map((r) => html`
            <tr key=${r.requestId}>
              <td>${new Date(r.createdAt).toLocaleString()}</td>
              <td>${r.state}${r.error && html` <span class="meta">(${r.error})</span>`}</td>
              <td>${r.answer ? (r.answer.length > 160 ? r.answer.slice(0, 160) + '…' : r.answer) : ''}</td>
            </tr>`)}
        </tbody>
      </table>
    </div>`;
}
