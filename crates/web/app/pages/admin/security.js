// Admin: the security report. The latest self-audit (or the one picked from the history), its
// score and its checks grouped by severity — each with its status in words and, when it does not
// pass, the fix; "Run self-audit now" files today's report. The checks run on the server.
import { html, useEffect, useRef, useState } from '../../lib/html.js';
import { get, post } from '../../lib/api.js';
import { ErrorLine, useAction } from '../../lib/form.js';

const SEVERITIES = ['critical', 'high', 'medium', 'low'];
const STATUS_TEXT = { pass: 'Pass', warn: 'Warning', fail: 'Fail' };

export function Security() {
  const [history, setHistory] = useState(null);
  const [report, setReport] = useState(null);
  const [error, setError] = useState(null);
  const [state, run] = useAction();
  // Only the last load's answers are shown (two quick clicks in the history can answer out of
  // order); a day picked in the history takes the focus to its report, which is above the list.
  const latest = useRef(0);
  const focusReport = useRef(false);

  async function load(date) {
    const mine = ++latest.current;
    setError(null);
    try {
      const list = await get('/api/self-audit/reports?limit=30');
      const day = date ?? list.reports[0]?.date;
      const shown = day ? await get(`/api/self-audit/reports/${day}`) : null;
      if (mine !== latest.current) return;
      setHistory(list);
      setReport(shown);
    } catch (e) {
      if (mine === latest.current) setError(e);
    }
  }
  useEffect(() => { load(); }, []);
  useEffect(() => {
    if (report && focusReport.current) {
      focusReport.current = false;
      document.getElementById('report-title')?.focus();
    }
  }, [report]);

  function pick(date) {
    focusReport.current = true;
    load(date);
  }

  async function runNow() {
    const filed = await run(() => post('/api/self-audit/run'));
    if (filed) {
      setReport(filed);
      await load(filed.date);
    }
  }

  return html`
    <main>
      <h1>Security</h1>
      <p class="tagline">How this installation is set up: key and database files, how it is reached, accounts, tokens, providers, the audit chain, backups. A report is filed every day; a check that gets worse is recorded in the audit log.</p>
      <p><button type="button" onClick=${runNow} disabled=${state.busy}>${state.busy ? 'Running…' : 'Run self-audit now'}</button></p>
      <${ErrorLine} error=${state.error ?? error} />
      ${history && !report && html`<p class="card">No report yet. Run a self-audit to see how this installation is set up.</p>`}
      ${report && html`<${Report} report=${report} />`}
      ${history && history.reports.length > 0 && html`
        <${History} reports=${history.reports} shown=${report?.date} onPick=${pick} />`}
    </main>`;
}

function counts(checks) {
  const of = (status) => checks.filter((c) => c.status === status).length;
  return { fail: of('fail'), warn: of('warn'), pass: of('pass') };
}

function Report({ report }) {
  const n = counts(report.checks);
  return html`
    <section class="card security-summary" aria-labelledby="report-title">
      <h2 id="report-title" tabindex="-1">Report of ${report.date}</h2>
      <p class="security-score"><span class="visually-hidden">Score: </span><span class="score-figure">${report.score}</span><span class="score-scale"> / 100</span></p>
      <p>${n.fail} failed, ${n.warn} ${n.warn === 1 ? 'warning' : 'warnings'}, ${n.pass} passed · checked ${new Date(report.createdAt).toLocaleString()}</p>
    </section>
    ${SEVERITIES.map((severity) => {
      const checks = report.checks.filter((c) => c.severity === severity);
      return checks.length > 0 && html`
        <section class="card" aria-labelledby=${`severity-${severity}`}>
          <h2 id=${`severity-${severity}`}>${severity[0].toUpperCase() + severity.slice(1)}</h2>
          <ul class="checks">
            ${checks.map((c) => html`
              <li class=${`check ${c.status}`}>
                <span class=${`badge ${c.status}`}>${STATUS_TEXT[c.status] ?? c.status}</span>
                <div>
                  <h3>${c.title}</h3>
                  <p class="check-detail">${c.detail}</p>
                  ${c.fix && html`<p class="check-fix"><strong>Fix: </strong>${c.fix}</p>`}
                </div>
              </li>`)}
          </ul>
        </section>`;
    })}`;
}

function History({ reports, shown, onPick }) {
  return html`
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <div class="table-wrap">
        <table>
          <thead><tr><th>Day</th><th>Score</th><th>Failed</th><th>Warnings</th></tr></thead>
          <tbody>
            ${reports.map((r) => html`
              <tr>
                <td>${r.date === shown
                  ? html`<strong aria-current="true">${r.date}</strong>`
                  : html`<button type="button" class="link" onClick=${() => onPick(r.date)}>${r.date}</button>`}</td>
                <td>${r.score}</td>
                <td>${r.failed}</td>
                <td>${r.warnings}</td>
              </tr>`)}
          </tbody>
        </table>
      </div>
    </section>`;
}
