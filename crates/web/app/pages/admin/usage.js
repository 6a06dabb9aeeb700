// Admin: usage and costs. A period and an agent to look at, the totals per source, the cost over
// time as bars (days, or hours for a single day), the agents costliest first and, with an
// enterprise licence, the people and the CSV of every record. Every figure is the server's
// (strings, dollars to 6 decimals); the page only lays them out.
import { html, useEffect, useState } from '../../lib/html.js';
import { get } from '../../lib/api.js';
import { ErrorLine } from '../../lib/form.js';
import { Budgets } from './budgets.js';

const PERIODS = [
  ['1', 'Today'],
  ['7', 'Last 7 days'],
  ['30', 'Last 30 days'],
  ['90', 'Last 90 days'],
  ['365', 'Last 365 days'],
  ['0', 'All time'],
];
const SOURCES = [['chat', 'Chat'], ['system', 'System'], ['plugin', 'Plugins']];

const tokens = (s) => Number(s).toLocaleString();
const dollars = (s) => `$${s}`;
// Costs come with exactly 6 decimals: summed as whole micro-dollars, so nothing is lost to floats.
const micros = (s) => BigInt(s.replace('.', ''));
const fromMicros = (m) => `${m / 1000000n}.${String(m % 1000000n).padStart(6, '0')}`;

export function Usage() {
  const [days, setDays] = useState('30');
  const [agentId, setAgentId] = useState('');
  const [agents, setAgents] = useState([]);
  const [summary, setSummary] = useState(null);
  const [series, setSeries] = useState(null);
  const [enterprise, setEnterprise] = useState(false);
  const [people, setPeople] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => { get('/api/enterprise/status').then((s) => setEnterprise(s.enterprise)).catch(setError); }, []);

  useEffect(() => {
    const q = new URLSearchParams({ days });
    if (agentId) q.set('agentId', agentId);
    const interval = days === '1' ? 'hour' : 'day';
    setError(null);
    get(`/api/usage/summary?${q}`)
      .then((s) => {
        setSummary(s);
        // Every agent seen in a period stays a choice, so narrowing to one keeps the others listed.
        setAgents((known) => {
          const seen = new Map(known.map((a) => [a.agentId, a]));
          s.agents.forEach((a) => seen.set(a.agentId, a));
          return [...seen.values()].sort((a, b) => a.agentName.localeCompare(b.agentName));
        });
      })
      .catch(setError);
    get(`/api/usage/timeseries?${q}&interval=${interval}`).then(setSeries).catch(setError);
    if (enterprise) get(`/api/usage/by-user?${q}`).then((r) => setPeople(r.users)).catch(setError);
  }, [days, agentId, enterprise]);

  const query = new URLSearchParams({ days });
  if (agentId) query.set('agentId', agentId);

  const total = summary && fromMicros(SOURCES.reduce((sum, [key]) => sum + micros(summary.totals[key].cost), 0n));

  return html`
    <main>
      <h1>Usage and costs</h1>
      <div class="filters">
        <div class="field">
          <label for="period">Period</label>
          <select id="period" value=${days} onChange=${(e) => setDays(e.currentTarget.value)}>
            ${PERIODS.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="agent">Agent</label>
          <select id="agent" value=${agentId} onChange=${(e) => setAgentId(e.currentTarget.value)}>
            <option value="">All agents</option>
            ${agents.map((a) => html`<option value=${a.agentId}>${a.agentName}${a.deleted ? ' (deleted)' : ''}</option>`)}
          </select>
        </div>
      </div>
      <${ErrorLine} error=${error} />
      ${summary && html`
        <p class="usage-total" data-testid="total-cost">Estimated cost: <strong>${dollars(total)}</strong></p>
        <ul class="usage-sources">
          ${SOURCES.map(([key, label]) => html`
            <li class="card" key=${key}>
              <h2>${label}</h2>
              <p class="usage-cost">${dollars(summary.totals[key].cost)}</p>
              <p class="meta">${tokens(summary.totals[key].inputTokens)} in · ${tokens(summary.totals[key].outputTokens)} out</p>
            </li>`)}
        </ul>
        ${summary.unpricedModels.length > 0 && html`
          <p class="hint" role="note">Without a price, counted as $0: ${summary.unpricedModels.map((m) => `${m.provider}/${m.model}`).join(', ')}.</p>`}`}
      ${series && html`<${CostChart} series=${series} />`}
      ${summary && html`
        <h2>Agents</h2>
        ${summary.agents.length === 0 ? html`<p class="meta">No model calls in this period.</p>` : html`
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Usage per agent</caption>
              <thead><tr><th scope="col">Agent</th><th scope="col">Input tokens</th><th scope="col">Output tokens</th><th scope="col">Cache read</th><th scope="col">Cache write</th><th scope="col">Cost</th></tr></thead>
              <tbody>
                ${summary.agents.map((a) => html`
                  <tr key=${a.agentId}>
                    <td>${a.agentName}${a.deleted && html` <span class="tag">deleted</span>`}</td>
                    <td>${tokens(a.totalInputTokens)}</td>
                    <td>${tokens(a.totalOutputTokens)}</td>
                    <td>${tokens(a.totalCacheReadTokens)}</td>
                    <td>${tokens(a.totalCacheWriteTokens)}</td>
                    <td>${dollars(a.totalCost)}</td>
                  </tr>`)}
              </tbody>
            </table>
          </div>`}`}
      <${Budgets} />
      <h2>People</h2>
      ${!enterprise
        ? html`<p class="meta">Usage by person and the CSV of every call need an enterprise licence (see <a href="/admin/license">Licence</a>).</p>`
        : html`
          <div class="actions"><a class="button-link" href=${`/api/usage/export?${query}`} download>Download CSV</a></div>
          ${people && (people.length === 0 ? html`<p class="meta">No model calls in this period.</p>` : html`
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">Usage per person</caption>
                <thead><tr><th scope="col">Person</th><th scope="col">Input tokens</th><th scope="col">Output tokens</th><th scope="col">Cost</th></tr></thead>
                <tbody>
                  ${people.map((p) => html`
                    <tr key=${p.userId ?? 'none'}>
                      <td>${p.userId === null ? 'No person (platform work)' : html`${p.name} <span class="meta">${p.email}</span>${p.deactivated && html` <span class="tag">deactivated</span>`}`}</td>
                      <td>${tokens(p.totalInputTokens)}</td>
                      <td>${tokens(p.totalOutputTokens)}</td>
                      <td>${dollars(p.totalCost)}</td>
                    </tr>`)}
                </tbody>
              </table>
            </div>`)}`}
    </main>`;
}

// The cost per bucket as SVG bars (attributes only: the page's policy allows no inline style),
// with the figures in a table for screen readers and for whoever prefers numbers.
function CostChart({ series }) {
  const buckets = series.buckets;
  if (buckets.length === 0) return html`<p class="meta">Nothing recorded yet.</p>`;
  const costs = buckets.map((b) => Number(b.cost));
  const max = Math.max(...costs);
  const width = 600;
  const height = 160;
  const slot = width / buckets.length;
  const label = (b) => series.interval === 'hour'
    ? new Date(b.start).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' })
    : new Date(b.start).toLocaleDateString([], { month: 'short', day: 'numeric', timeZone: 'UTC' });
  return html`
    <figure class="usage-chart card">
      <figcaption>Cost per ${series.interval} (UTC), highest ${dollars(max.toFixed(6))}</figcaption>
      <svg viewBox=${`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img"
        aria-label=${`Cost per ${series.interval}: ${buckets.length} bars`}>
        ${buckets.map((b, n) => {
          const h = max > 0 ? Math.max((costs[n] / max) * (height - 4), costs[n] > 0 ? 2 : 0) : 0;
          return html`<rect class="bar" x=${n * slot + slot * 0.1} y=${height - h} width=${slot * 0.8} height=${h}>
            <title>${label(b)}: ${dollars(b.cost)}</title></rect>`;
        })}
      </svg>
      <div class="chart-axis"><span>${label(buckets[0])}</span><span>${label(buckets[buckets.length - 1])}</span></div>
      <details>
        <summary>Figures</summary>
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Cost per ${series.interval}</caption>
            <thead><tr><th scope="col">${series.interval === 'hour' ? 'Hour' : 'Day'}</th><th scope="col">Input tokens</th><th scope="col">Output tokens</th><th scope="col">Cost</th></tr></thead>
            <tbody>
              ${buckets.map((b) => html`<tr key=${b.start}><td>${label(b)}</td><td>${tokens(b.inputTokens)}</td><td>${tokens(b.outputTokens)}</td><td>${dollars(b.cost)}</td></tr>`)}
            </tbody>
          </table>
        </div>
      </details>
    </figure>`;
}
