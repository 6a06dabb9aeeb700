// The budgets section of the usage page: each monthly limit with this month's spend (a warning
// from 80 %, "spent" once new chats under it are refused), and an editor that saves the whole set
// at once — the server checks it and keeps the old set when it refuses.
import { html, useEffect, useState } from '../../lib/html.js';
import { api, get } from '../../lib/api.js';
import { ErrorLine, useAction } from '../../lib/form.js';
import { useGroups } from '../../lib/groups.js';

const SCOPES = [['org', 'Whole organisation'], ['agent', 'An agent'], ['user', 'A person']];
const GROUP_SCOPE = ['group', 'A group (its members together)'];
const TARGETS = { agent: 'Agent', user: 'Person', group: 'Group' };
const LEVELS = { ok: '', warning: 'Over 80 %', exceeded: 'Spent: new chats are refused' };

export function Budgets() {
  const [budgets, setBudgets] = useState(null);
  const [agents, setAgents] = useState([]);
  const [people, setPeople] = useState([]);
  const [draft, setDraft] = useState({ scope: 'org', targetId: '', limit: '' });
  const [error, setError] = useState(null);
  const [action, run] = useAction();
  const groups = useGroups();

  useEffect(() => {
    get('/api/usage/budgets').then((b) => setBudgets(b.budgets)).catch(setError);
    get('/api/agents').then(setAgents).catch(setError);
    get('/api/users?limit=100').then((u) => setPeople(u.users)).catch(setError);
  }, []);

  const name = (b) => b.scope === 'org' ? 'Whole organisation'
    : b.scope === 'agent' ? `Agent: ${agents.find((a) => a.id === b.targetId)?.name ?? b.targetId}`
    : b.scope === 'group' ? `Group: ${(groups ?? []).find((g) => g.id === b.targetId)?.name ?? b.targetId}`
    : `Person: ${people.find((p) => p.id === b.targetId)?.name ?? b.targetId}`;
  const scopes = groups ? [...SCOPES, GROUP_SCOPE] : SCOPES;
  const targets = { agent: agents, user: people, group: groups ?? [] };

  async function save(next) {
    const body = { budgets: next.map((b) => ({ scope: b.scope, targetId: b.targetId || undefined, limit: b.limit })) };
    const saved = await run(() => api('PUT', '/api/usage/budgets', body));
    if (saved) {
      setBudgets(saved.budgets);
      setDraft({ scope: 'org', targetId: '', limit: '' });
    }
  }
  const add = (e) => { e.preventDefault(); save([...budgets, draft]); };
  const remove = (gone) => save(budgets.filter((b) => b !== gone));

  if (!budgets) return html`<${ErrorLine} error=${error} />`;
  const warned = budgets.filter((b) => b.state !== 'ok');
  return html`
    <section aria-labelledby="budgets-title">
      <h2 id="budgets-title">Monthly budgets</h2>
      ${warned.length > 0 && html`<p class="warning" role="alert">${warned.map((b) => `${name(b)}: ${b.percent} % of $${b.limit} used`).join(' · ')}</p>`}
      <${ErrorLine} error=${error ?? action.error} />
      ${budgets.length === 0 ? html`<p class="meta">No budget: spending is not limited.</p>` : html`
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Monthly budgets</caption>
            <thead><tr><th scope="col">Applies to</th><th scope="col">Limit</th><th scope="col">Spent</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              ${budgets.map((b) => html`
                <tr key=${b.scope + (b.targetId ?? '')}>
                  <td>${name(b)}</td>
                  <td>$${b.limit}</td>
                  <td>$${b.spent} (${b.percent} %)</td>
                  <td>${b.state === 'ok' ? 'OK' : html`<span class="tag">${LEVELS[b.state]}</span>`}</td>
                  <td><button type="button" class="secondary" onClick=${() => remove(b)} disabled=${action.busy}>Remove</button></td>
                </tr>`)}
            </tbody>
          </table>
        </div>`}
      <form class="card filters" onSubmit=${add}>
        <div class="field">
          <label for="budget-scope">Applies to</label>
          <select id="budget-scope" value=${draft.scope} onChange=${(e) => setDraft({ ...draft, scope: e.currentTarget.value, targetId: '' })}>
            ${scopes.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
          </select>
        </div>
        ${draft.scope !== 'org' && html`
          <div class="field">
            <label for="budget-target">${TARGETS[draft.scope]}</label>
            <select id="budget-target" required value=${draft.targetId} onChange=${(e) => setDraft({ ...draft, targetId: e.currentTarget.value })}>
              <option value="">Choose…</option>
              ${targets[draft.scope].map((x) => html`<option value=${x.id}>${x.name}</option>`)}
            </select>
          </div>`}
        <div class="field">
          <label for="budget-limit">Limit per month (USD)</label>
          <input id="budget-limit" inputmode="decimal" required value=${draft.limit} onInput=${(e) => setDraft({ ...draft, limit: e.currentTarget.value })} />
        </div>
        <div class="field"><button type="submit" disabled=${action.busy}>Add budget</button></div>
      </form>
    </section>`;
}
