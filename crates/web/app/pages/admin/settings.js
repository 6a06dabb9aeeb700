// Admin: the organisation context (what shared agents know about the organisation), the domain
// lock, and the settings store (secret values arrive masked and stay masked; a new value
// replaces them).
import { html, useEffect, useState } from '../../lib/html.js';
import { api, get, post } from '../../lib/api.js';
import { Field, ErrorLine, useAction } from '../../lib/form.js';

export function Settings() {
  return html`
    <main class="narrow">
      <h1>Settings</h1>
      <${OrgContext} />
      <${DomainLock} />
      <${RemoteAccess} />
      <${SettingStore} />
    </main>`;
}

function OrgContext() {
  const [content, setContent] = useState('');
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    get('/api/settings/context').then((c) => setContent(c.content)).catch(setError);
  }, []);
  async function submit(e) {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await api('PUT', '/api/settings/context', { content });
      setSaved(true);
    } catch (err) {
      setError(err);
    }
  }
  return html`
    <form class="card" onSubmit=${submit}>
      <h2>About the organisation</h2>
      <div class="field">
        <label for="org-context">What shared agents should know about your organisation</label>
        <textarea id="org-context" rows="6" maxlength="16000" value=${content}
          onInput=${(e) => setContent(e.currentTarget.value)}></textarea>
        <p class="hint">Markdown, at most 16,000 characters. Personal agents see their user's own context instead.</p>
      </div>
      <${ErrorLine} error=${error} />
      ${saved && html`<p class="saved" role="status">Saved.</p>`}
      <button type="submit">Save</button>
    </form>`;
}

// The domain lock: Pincer answers only at the locked hostname. The server refuses a lock to any
// host but the one this page was reached through, so the field starts with that one.
function DomainLock() {
  const [lock, setLock] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [domain, setDomain] = useState(location.hostname);
  const [state, run] = useAction();
  useEffect(() => {
    get('/api/settings/domain').then(setLock).catch(setLoadError);
  }, []);
  async function lockTo(e) {
    e.preventDefault();
    const locked = await run(() => post('/api/settings/domain', { lockedDomain: domain.trim() }));
    if (locked) setLock(locked);
  }
  async function unlock() {
    const unlocked = await run(() => post('/api/settings/domain', { lockedDomain: null }));
    if (unlocked) setLock(unlocked);
  }
  return html`
    <section class="card" aria-labelledby="domain-heading">
      <h2 id="domain-heading">Domain</h2>
      <${ErrorLine} error=${loadError} />
      ${lock?.insecureMode && html`<p class="warning" role="note">This page came over plain HTTP from another machine: put Pincer behind HTTPS before you lock it.</p>`}
      ${lock?.lockedDomain && html`
        <p role="status"><strong>Locked to ${lock.lockedDomain}.</strong> Requests to any other address are refused; open Pincer at <code>https://${lock.lockedDomain}</code>.</p>
        <${ErrorLine} error=${state.error} />
        <button type="button" class="secondary" disabled=${state.busy} onClick=${unlock}>Unlock the domain</button>`}
      ${lock && !lock.lockedDomain && html`
        <form onSubmit=${lockTo}>
          <p class="meta">Not locked: Pincer answers at any address that reaches it. Lock it to its HTTPS name once it has one; <code>pincer unlock-domain</code> on the server undoes it.</p>
          <${Field} id="locked-domain" label="Domain (the one you reached this page through)" value=${domain} onInput=${setDomain} autocomplete="off" />
          <${ErrorLine} error=${state.error} />
          <button type="submit" disabled=${state.busy}>Lock to this domain</button>
        </form>`}
    </section>`;
}

// Remote access: a Cloudflare quick tunnel to this server. Its URL appears once cloudflared
// prints it, so the section asks again every two seconds while the tunnel is coming up.
function RemoteAccess() {
  const [tunnel, setTunnel] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [state, run] = useAction();
  const load = () => get('/api/remote/status').then(setTunnel).catch(setLoadError);
  useEffect(() => { load(); }, []);
  const settling = tunnel && (tunnel.state === 'starting' || tunnel.state === 'restarting');
  useEffect(() => {
    if (!settling) return undefined;
    const timer = setTimeout(load, 2000);
    return () => clearTimeout(timer);
  }, [tunnel]);
  const start = async () => { const t = await run(() => post('/api/remote/start')); if (t) setTunnel(t); };
  const stop = async () => { const t = await run(() => post('/api/remote/stop')); if (t) setTunnel(t); };
  const running = tunnel && tunnel.state !== 'stopped';
  return html`
    <section class="card" aria-labelledby="remote-heading">
      <h2 id="remote-heading">Remote access</h2>
      <p class="meta">A Cloudflare tunnel makes this server reachable from anywhere without opening a port. Anyone with the address reaches the sign-in page.</p>
      <${ErrorLine} error=${loadError ?? state.error} />
      ${tunnel && html`
        <p role="status">Tunnel: <strong>${tunnel.state}</strong>${tunnel.url && html` at <a href=${tunnel.url}>${tunnel.url}</a>`}</p>
        ${tunnel.lastError && running && html`<p class="meta">Last stop: ${tunnel.lastError}; started again ${tunnel.restarts === 1 ? 'once' : `${tunnel.restarts} times`}.</p>`}
        ${running
          ? html`<button type="button" class="secondary" disabled=${state.busy} onClick=${stop}>Stop the tunnel</button>`
          : html`<button type="button" disabled=${state.busy} onClick=${start}>Start a tunnel</button>`}`}
    </section>`;
}

function SettingStore() {
  const [settings, setSettings] = useState([]);
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState(null);
  const load = () => get('/api/settings').then(setSettings).catch(setError);
  useEffect(() => { load(); }, []);
  async function submit(e) {
    e.preventDefault();
    setError(null);
    try {
      await post('/api/settings', { key: key.trim(), value });
      setKey('');
      setValue('');
      await load();
    } catch (err) {
      setError(err);
    }
  }
  return html`
    <section class="card" aria-labelledby="settings-title">
      <h2 id="settings-title">Stored settings</h2>
      <ul class="plain-list">
        ${settings.map((s) => html`<li key=${s.key}><code>${s.key}</code>: ${s.value}${s.encrypted ? html` <span class="tag">encrypted</span>` : ''}</li>`)}
      </ul>
      <form onSubmit=${submit}>
        <${Field} id="setting-key" label="Key" value=${key} onInput=${setKey}
          hint="a-z, 0-9, _ . - ; keys naming an api_key, secret, token or password are encrypted." />
        <${Field} id="setting-value" label="Value" value=${value} onInput=${setValue} required=${false} />
        <${ErrorLine} error=${error} />
        <button type="submit">Save the setting</button>
      </form>
    </section>`;
}
