// Admin: the audit log. Filters (event type, dates), paging, the integrity check with a clear
// valid/broken answer listing what broke, and the CSV download of the filtered log.
import { html, useEffect, useState } from '../../lib/html.js';
import { get } from '../../lib/api.js';
import { ErrorLine } from '../../lib/form.js';

const LIMIT = 50;

export function Audit() {
  const [types, setTypes] = useState([]);
  const [eventType, setEventType] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [page, setPage] = useState(1);
  const [data, setData] = useState(null);
  const [report, setReport] = useState(null);
  const [error, setError] = useState(null);

  const query = () => {
    const q = new URLSearchParams();
    if (eventType) q.set('eventType', eventType);
    if (from) q.set('from', new Date(from + 'T00:00:00').toISOString());
    if (to) q.set('to', new Date(to + 'T23:59:59.999').toISOString());
    return q;
  };

  useEffect(() => {
    get('/api/audit/event-types').then(setTypes).catch(setError);
  }, []);
  useEffect(() => {
    const q = query();
    q.set('page', page);
    q.set('limit', LIMIT);
    setError(null);
    get(`/api/audit?${q}`).then(setData).catch(setError);
  }, [eventType, from, to, page]);

  async function verify() {
    setError(null);
    setReport(null);
    try {
      setReport(await get('/api/audit/verify'));
    } catch (e) {
      setError(e);
    }
  }

  const pages = data ? Math.max(1, Math.ceil(data.total / LIMIT)) : 1;
  return html`
    <main>
      <h1>Audit log</h1>
      <div class="filters">
        <div class="field">
          <label for="event-type">Event type</label>
          <select id="event-type" value=${eventType} onChange=${(e) => { setEventType(e.currentTarget.value); setPage(1); }}>
            <option value="">All</option>
            ${(Array.isArray(types) ? types : types.eventTypes ?? []).map((t) => html`<option value=${t}>${t}</option>`)}
          </select>
        </div>
        <div class="field"><label for="from">From</label>
          <input id="from" type="date" value=${from} onChange=${(e) => { setFrom(e.currentTarget.value); setPage(1); }} /></div>
        <div class="field"><label for="to">To</label>
          <input id="to" type="date" value=${to} onChange=${(e) => { setTo(e.currentTarget.value); setPage(1); }} /></div>
      </div>
      <div class="actions">
        <button type="button" onClick=${verify}>Check integrity</button>
        <a class="button-link" href=${`/api/audit/export?${query()}`} download>Download CSV</a>
      </div>
      ${report && (report.valid
        ? html`<p class="ok" role="status">The log is intact: ${report.totalChecked} entries checked.</p>`
        : html`<div class="error" role="alert">
            <p>The log is broken.</p>
            <ul>
              ${report.invalidIds.length > 0 && html`<li>Edited entries: ${report.invalidIds.join(', ')}</li>`}
              ${report.chainBreakIds.length > 0 && html`<li>Links broken at: ${report.chainBreakIds.join(', ')}</li>`}
              ${report.truncated && html`<li>Entries were removed from the end (the newest should be ${report.anchorId ?? report.headId}).</li>`}
              ${report.rolledBack && html`<li>An older copy of the log was restored.</li>`}
              ${report.headInvalid && html`<li>The sealed head is missing or does not verify.</li>`}
              ${report.invalidPseudonyms?.length > 0 && html`<li>Who acted was altered for ${report.invalidPseudonyms.length} actor(s).</li>`}
            </ul>
          </div>`)}
      <${ErrorLine} error=${error} />
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Audit entries</caption>
          <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">Event</th><th scope="col">Resource</th><th scope="col">Outcome</th></tr></thead>
          <tbody>
            ${(data?.entries ?? []).map((e) => html`
              <tr key=${e.id}>
                <td>${e.id}</td>
                <td>${new Date(e.timestamp).toLocaleString()}</td>
                <td>${e.actorType === 'user' ? (e.actorDeleted ? 'erased user' : e.actorName ?? e.actorId) : e.actorType}</td>
                <td>${e.eventType}</td>
                <td>${e.resource ?? ''}</td>
                <td>${e.outcome}</td>
              </tr>`)}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Pages">
        <button type="button" class="secondary" disabled=${page <= 1} onClick=${() => setPage(page - 1)}>Newer</button>
        <span>Page ${page} of ${pages}${data ? ` · ${data.total} entries` : ''}</span>
        <button type="button" class="secondary" disabled=${page >= pages} onClick=${() => setPage(page + 1)}>Older</button>
      </nav>
    </main>`;
}
