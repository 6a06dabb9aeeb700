// Admin: channels. Telegram bots bound to agents: the main bot first (every linked user talks to
// their own personal assistant through it), then a bot per shared agent. Each bot's receiver is
// listed with its state, last error and today's messages, and can be stopped, started or (for a
// shared agent) disconnected; "Remove Telegram for everyone" takes every bot away after a confirm
// step. The status refreshes every 5 s while the page is open. Tokens go to the server, which
// checks them with Telegram and never gives them back (only their last 4 characters).
import { html, useEffect, useState } from '../../lib/html.js';
import { api, get, post } from '../../lib/api.js';
import { ErrorLine, Field, useAction } from '../../lib/form.js';

const REFRESH_MS = 5000;

const STATE_TEXT = { running: 'running', standby: 'standby', stopped: 'stopped', error: 'error' };

const botPath = (agentId) => `/api/agents/${encodeURIComponent(agentId)}/channels/telegram`;

export function Channels() {
  const [channels, setChannels] = useState(null);
  const [agents, setAgents] = useState([]);
  const [error, setError] = useState(null);
  const [row, runRow] = useAction();

  const load = () => get('/api/channels/status').then((s) => { setChannels(s.channels); setError(null); }).catch(setError);
  useEffect(() => {
    load();
    get('/api/agents').then(setAgents).catch(setError);
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const personal = agents.find((a) => a.isPersonal);
  const shared = agents.filter((a) => !a.isPersonal);
  const telegram = (channels ?? []).filter((c) => c.transport === 'telegram');
  const main = telegram.find((c) => c.main);

  async function toggle(c) {
    if (await runRow(() => post('/api/channels/toggle', { transport: c.transport, agentId: c.agentId, enabled: !c.enabled }))) load();
  }
  async function disconnect(c) {
    if (!confirm(`Disconnect @${c.account} from ${c.agentName}? Its chats stop answering.`)) return;
    if (await runRow(() => api('DELETE', botPath(c.agentId)))) load();
  }

  return html`
    <main>
      <h1>Channels</h1>
      <p class="meta">People talk to agents from Telegram through bots. Each person links their Telegram account once, on their profile, with a code the bot gives them.</p>
      <${ErrorLine} error=${error} />
      ${channels && html`
        <${MainBot} main=${main} personal=${personal} onConnected=${load} />
        <section class="card" aria-labelledby="bots-heading">
          <h2 id="bots-heading">Bots</h2>
          <${ErrorLine} error=${row.error} />
          ${channels.length === 0
            ? html`<p class="meta">No bot is connected yet.</p>`
            : html`<${BotTable} channels=${channels} busy=${row.busy} onToggle=${toggle} onDisconnect=${disconnect} />`}
        </section>
        <${AgentBot} agents=${shared} channels=${telegram} mainReady=${!!main} onConnected=${load} />
        ${telegram.length > 0 && html`<${RemoveAll} count=${telegram.length} onRemoved=${load} />`}`}
    </main>`;
}

// The main bot: what it is and how to make one when it is missing; its bot and a way to replace
// its token when it is there.
function MainBot({ main, personal, onConnected }) {
  const form = html`<${TokenForm} id="main-token" agentId=${personal?.id} button="Connect the main bot" onConnected=${onConnected} />`;
  if (main) {
    return html`
      <section class="card" aria-labelledby="main-heading">
        <h2 id="main-heading">Main bot</h2>
        <p>Connected: <strong>@${main.account}</strong>. Every linked person talks to their own personal assistant through it.</p>
        <details class="more">
          <summary>Use another bot or a new token</summary>
          ${form}
        </details>
      </section>`;
  }
  return html`
    <section class="card" aria-labelledby="main-heading">
      <h2 id="main-heading">Main bot</h2>
      <p>The main bot lets every person talk to their own personal assistant from Telegram. Connect it first; shared agents can get bots of their own afterwards.</p>
      <ol class="howto">
        <li>In Telegram, open <strong>@BotFather</strong>, send <code>/newbot</code> and choose a name and a username for the bot.</li>
        <li>BotFather answers with the bot's token (like <code>123456789:AAH…</code>). Paste it below.</li>
        <li>Each person then writes to the bot and enters the code it answers with on their profile.</li>
      </ol>
      ${personal ? form : html`<p class="meta">Loading your personal assistant…</p>`}
    </section>`;
}

// A token field and its submit button; connects `agentId` (a personal agent's id means the main
// bot).
function TokenForm({ id, agentId, button, onConnected, disabled = false, children }) {
  const [token, setToken] = useState('');
  const [state, run] = useAction();
  const [connected, setConnected] = useState(null);
  async function submit(e) {
    e.preventDefault();
    if (!agentId) return;
    setConnected(null);
    const bot = await run(() => post(botPath(agentId), { botToken: token.trim() }));
    if (bot) {
      setToken('');
      setConnected(bot.botUsername);
      onConnected();
    }
  }
  return html`
    <form onSubmit=${submit}>
      <fieldset class="plain" disabled=${disabled}>
        <legend class="visually-hidden">${button}</legend>
        ${children}
        <${Field} id=${id} label="Bot token from @BotFather" type="password" autocomplete="off" value=${token}
          onInput=${setToken} hint="Checked with Telegram, stored sealed; only its last 4 characters are shown again." />
        <${ErrorLine} error=${state.error} />
        ${connected && html`<p class="saved" role="status">Connected @${connected}.</p>`}
        <button type="submit" disabled=${state.busy}>${button}</button>
      </fieldset>
    </form>`;
}

function BotTable({ channels, busy, onToggle, onDisconnect }) {
  return html`
    <div class="table-wrap">
      <table class="channels">
        <caption class="visually-hidden">Connected bots</caption>
        <thead><tr><th scope="col">Agent</th><th scope="col">Bot</th><th scope="col">State</th><th scope="col">Today</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          ${channels.map((c) => html`
            <tr key=${c.transport + (c.agentId ?? 'main')}>
              <td data-label="Agent">${c.main ? 'Main bot (personal assistants)' : c.agentName ?? 'An agent you cannot see'}</td>
              <td data-label="Bot"><div>@${c.account}<div class="meta nowrap">${c.transport === 'telegram' ? 'Telegram' : c.transport} · token …${c.hint}</div></div></td>
              <td data-label="State"><div>
                <span class=${'badge ' + c.state}>${STATE_TEXT[c.state] ?? c.state}</span>
                ${c.lastError && html`<div class=${c.state === 'error' ? 'error-detail' : 'meta'}>${c.state === 'error' ? '' : 'Last error: '}${c.lastError}${c.lastErrorAt && html` <span class="meta">(${new Date(c.lastErrorAt).toLocaleString()})</span>`}</div>`}
              </div></td>
              <td data-label="Today" class="nowrap">${c.messagesInToday} in · ${c.messagesOutToday} out</td>
              <td data-label="Actions"><div class="row-actions">
                <button type="button" class="secondary" disabled=${busy} onClick=${() => onToggle(c)}>
                  ${c.enabled ? 'Stop' : 'Start'}<span class="visually-hidden"> @${c.account}</span>
                </button>
                ${!c.main && c.agentId && html`
                  <button type="button" class="secondary" disabled=${busy} onClick=${() => onDisconnect(c)}>
                    Disconnect<span class="visually-hidden"> @${c.account}</span>
                  </button>`}
              </div></td>
            </tr>`)}
        </tbody>
      </table>
    </div>`;
}

// A bot for a shared agent: only once the main bot exists (the server refuses it before).
function AgentBot({ agents, channels, mainReady, onConnected }) {
  const [agentId, setAgentId] = useState('');
  const botOf = (id) => channels.find((c) => c.agentId === id);
  return html`
    <section class="card" aria-labelledby="agent-bot-heading">
      <h2 id="agent-bot-heading">A bot for a shared agent</h2>
      ${mainReady
        ? html`<p class="meta">People who may see the agent talk to it through its own bot. Connecting an agent that has a bot replaces it.</p>`
        : html`<p class="meta">Connect the main bot first: shared agents' bots come after it.</p>`}
      ${agents.length === 0 && mainReady
        ? html`<p class="meta">No shared agent yet: create one under Manage agents.</p>`
        : html`
          <${TokenForm} id="agent-token" agentId=${agentId || undefined} button="Connect the bot to the agent" disabled=${!mainReady}
            onConnected=${() => { setAgentId(''); onConnected(); }}>
            <div class="field">
              <label for="agent-bot-agent">Agent</label>
              <select id="agent-bot-agent" required value=${agentId} onChange=${(e) => setAgentId(e.currentTarget.value)}>
                <option value="">Choose…</option>
                ${agents.map((a) => html`<option value=${a.id}>${a.name}${botOf(a.id) ? ` (now @${botOf(a.id).account})` : ''}</option>`)}
              </select>
            </div>
          </${TokenForm}>`}
    </section>`;
}

// Every bot away at once, the main bot included, after a confirm step on the page.
function RemoveAll({ count, onRemoved }) {
  const [asking, setAsking] = useState(false);
  const [state, run] = useAction();
  async function remove() {
    if (await run(() => api('DELETE', '/api/settings/telegram/bots'))) {
      setAsking(false);
      onRemoved();
    }
  }
  return html`
    <section class="card danger-zone" aria-labelledby="remove-heading">
      <h2 id="remove-heading">Remove Telegram</h2>
      <p class="meta">Disconnects every bot, the main bot included. People's links stay, for when a bot is connected again.</p>
      <${ErrorLine} error=${state.error} />
      ${asking
        ? html`
          <div class="confirm" role="group" aria-labelledby="remove-question">
            <p id="remove-question"><strong>Remove all ${count} ${count === 1 ? 'bot' : 'bots'}?</strong> Nobody can reach an agent from Telegram until a bot is connected again.</p>
            <div class="actions">
              <button type="button" class="danger" disabled=${state.busy} onClick=${remove}>Yes, remove every bot</button>
              <button type="button" class="secondary" disabled=${state.busy} onClick=${() => setAsking(false)}>Cancel</button>
            </div>
          </div>`
        : html`<button type="button" class="danger" onClick=${() => setAsking(true)}>Remove Telegram for everyone</button>`}
    </section>`;
}
