// The first-start wizard: the admin account, then the first provider (checked live by the
// server; its own error is shown), then the first agent from a template.
import { html, useEffect, useState } from '../lib/html.js';
import { get, post } from '../lib/api.js';
import { Field, ErrorLine, useAction } from '../lib/form.js';

const PROVIDERS = [
  { id: 'anthropic', label: 'Anthropic', key: true },
  { id: 'openai', label: 'OpenAI', key: true },
  { id: 'google', label: 'Google Gemini', key: true },
  { id: 'ollama-cloud', label: 'Ollama Cloud', key: true },
  { id: 'ollama-local', label: 'Ollama on your network', url: true },
  { id: 'compatible', label: 'Another OpenAI-compatible endpoint', key: true, url: true, named: true },
];

export function Setup({ status, onAdmin, onDone }) {
  const [step, setStep] = useState(status.setupComplete ? 'provider' : 'admin');
  return html`
    <main class="narrow">
      <h1>Set up Pincer</h1>
      <ol class="steps" aria-label="Setup steps">
        ${['admin', 'provider', 'agent'].map((s, i) => html`
          <li class=${s === step ? 'current' : ''} aria-current=${s === step ? 'step' : undefined}>
            ${i + 1}. ${{ admin: 'Your admin account', provider: 'A model provider', agent: 'Your first agent' }[s]}
          </li>`)}
      </ol>
      ${step === 'admin' && html`<${AdminStep} onDone=${(user) => { onAdmin(user); setStep('provider'); }} />`}
      ${step === 'provider' && html`<${ProviderForm} title="A model provider" path="/api/setup/provider"
        onDone=${() => setStep('agent')} onSkip=${() => setStep('agent')} />`}
      ${step === 'agent' && html`<${AgentStep} onDone=${onDone} />`}
    </main>`;
}

function AdminStep({ onDone }) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [setupCode, setSetupCode] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [{ busy, error }, run] = useAction();

  async function submit(event) {
    event.preventDefault();
    const body = { name, email, password };
    if (needsCode) body.setupCode = setupCode.trim();
    const created = await run(() => post('/api/setup', body).catch((e) => {
      if (e.code === 'setup_code_required') setNeedsCode(true);
      throw e;
    }));
    if (created) onDone(created.user);
  }

  return html`
    <form onSubmit=${submit} class="card">
      <h2>Your admin account</h2>
      <${Field} id="name" label="Your name" value=${name} onInput=${setName} autocomplete="name" />
      <${Field} id="email" label="E-mail" type="email" value=${email} onInput=${setEmail} autocomplete="username" />
      <${Field} id="password" label="Password" type="password" value=${password} onInput=${setPassword}
        autocomplete="new-password" minlength="8" hint="At least 8 characters, not a common password." />
      ${needsCode && html`<${Field} id="setup-code" label="Setup code" value=${setupCode} onInput=${setSetupCode}
        hint="Printed in the server's log at start (pincer setup code: …). Needed when you set up Pincer from another machine." />`}
      <${ErrorLine} error=${error} />
      <button type="submit" disabled=${busy}>${busy ? 'Creating…' : 'Create the admin account'}</button>
    </form>`;
}

export function ProviderForm({ title, path, onDone, onSkip }) {
  const [kind, setKind] = useState('anthropic');
  const [name, setName] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [{ busy, error }, run] = useAction();
  const chosen = PROVIDERS.find((p) => p.id === kind);

  async function submit(event) {
    event.preventDefault();
    const body = { provider: chosen.named ? name.trim() : kind };
    if (chosen.key && apiKey) body.apiKey = apiKey;
    if (chosen.url) body.baseUrl = baseUrl.trim();
    if (await run(() => post(path, body))) {
      setApiKey('');
      onDone();
    }
  }

  return html`
    <form onSubmit=${submit} class="card">
      <h2>${title}</h2>
      <p>Pincer checks the key with the provider before it stores it, sealed.</p>
      <div class="field">
        <label for="provider">Provider</label>
        <select id="provider" value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
          ${PROVIDERS.map((p) => html`<option value=${p.id}>${p.label}</option>`)}
        </select>
      </div>
      ${chosen.named && html`<${Field} id="provider-name" label="A name for it (a-z, 0-9, -)" value=${name} onInput=${setName} />`}
      ${chosen.key && html`<${Field} id="api-key" label="API key" type="password" value=${apiKey} onInput=${setApiKey}
        autocomplete="off" required=${!chosen.url} />`}
      ${chosen.url && html`<${Field} id="base-url" label="Base URL" type="url" value=${baseUrl} onInput=${setBaseUrl}
        hint=${kind === 'ollama-local' ? 'For example http://127.0.0.1:11434' : 'For example https://api.groq.com/openai/v1'} />`}
      <${ErrorLine} error=${error} />
      <div class="actions">
        <button type="submit" disabled=${busy}>${busy ? 'Checking…' : 'Check and save'}</button>
        ${onSkip && html`<button type="button" class="secondary" onClick=${onSkip}>Skip for now</button>`}
      </div>
    </form>`;
}

function AgentStep({ onDone }) {
  const [templates, setTemplates] = useState([]);
  const [templateId, setTemplateId] = useState('knowledge-base');
  const [name, setName] = useState('Knowledge Base');
  const [loadError, setLoadError] = useState(null);
  const [{ busy, error }, run] = useAction();

  useEffect(() => {
    get('/api/templates').then((t) => setTemplates(t.templates)).catch(setLoadError);
  }, []);

  async function submit(event) {
    event.preventDefault();
    if (await run(() => post('/api/agents', { name: name.trim(), templateId }))) onDone();
  }

  return html`
    <form onSubmit=${submit} class="card">
      <h2>Your first agent</h2>
      <fieldset>
        <legend>Template</legend>
        ${templates.map((t) => html`
          <label class="choice">
            <input type="radio" name="template" value=${t.id} checked=${t.id === templateId}
              onChange=${() => { setTemplateId(t.id); setName(t.name); }} />
            <span><strong>${t.name}</strong> — ${t.description}</span>
          </label>`)}
      </fieldset>
      <${Field} id="agent-name" label="Agent name" value=${name} onInput=${setName} hint="1–30 characters." />
      <${ErrorLine} error=${loadError ?? error} />
      <div class="actions">
        <button type="submit" disabled=${busy}>${busy ? 'Creating…' : 'Create the agent'}</button>
        <button type="button" class="secondary" onClick=${onDone}>Skip for now</button>
      </div>
    </form>`;
}
