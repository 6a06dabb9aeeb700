// Admin: the audit log. Filters (event type, dates), paging, the integrity check with a clear
// valid/broken answer listing what broke, and the CSV download of the filtered log.
import { html, useEffect, useState } from '../../lib/html.js';
import { get } from '../../lib/api.js';
import { ErrorLine } from '../../lib/form.js';
import { Pager } from '../../lib/pager.js';

const LIMIT = 50;

export function Audit() {
  const [types, setTypes] = useState([]);
  const [eventType, setEventType] = useState('');
  const [people, setPeople] = useState([]);
  const [actorId, setActorId] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [page, setPage] = useState(1);
  const [data, setData] = useState(null);
  const [report, setReport] = useState(null);
  const [error, setError] = useState(null);

  const query = () => {
    const q = new URLSearchParams();
    if (eventType) q.set('eventType', eventType);
    if (actorId) q.set('actorId', actorId);
    if (from) q.set('from', new Date(from + 'T00:00:00').toISOString());
    if (to) q.set('to', new Date(to + 'T23:59:59.999').toISOString());
    return q;
  };

  useEffect(() => {
    get('/api/audit/event-types').then(setTypes).catch(setError);
    get('/api/users?limit=100').then((u) => setPeople(u.users)).catch(setError);
  }, []);
  useEffect(() => {
    const q = query();
    q.set('page', page);
    q.set('limit', LIMIT);
    setError(null);
    get(`/api/audit?${q}`).then(setData).catch(setError);
  }, [eventType, actorId, from, to, page]);

  const byActor = (id) => { setActorId(id); setPage(1); };
  // Someone filtered by a click on their name may be beyond the first hundred listed.
  const choices = actorId && !people.some((p) => p.id === actorId)
    ? [...people, { id: actorId, name: data?.entries?.find((e) => e.actorId === actorId)?.actorName ?? actorId }]
    : people;

  async function verify() {
    setError(null);
    setReport(null);
    try {
      setReport(await get('/api/audit/verify'));
    } catch (e) {
      setError(e);
    }
  }

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
        <div class="field">
          <label for="actor">Who</label>
          <select id="actor" value=${actorId} onChange=${(e) => byActor(e.currentTarget.value)}>
            <option value="">Everyone</option>
            ${choices.map((p) => html`<option value=${p.id}>${p.name}</option>`)}
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
                <td>${e.actorType !== 'user' ? e.actorType
                  : e.actorDeleted ? 'erased user'
                  : html`<button type="button" class="link" title="Only this person's entries" onClick=${() => byActor(e.actorId)}>${e.actorName ?? e.actorId}</button>`}</td>
                <td>${e.eventType}</td>
                <td>${e.resource ?? ''}</td>
                <td>${e.outcome}</td>
              </tr>`)}
          </tbody>
        </table>
      </div>
      ${data && html`<${Pager} page=${page} total=${data.total} limit=${LIMIT} onPage=${setPage} previous="Newer" next="Older" />`}
    </main>`;
}
