// Chat with one agent over the WebSocket (docs/API.md, "Chat"): the history when the page
// opens (with a run in progress resumed), streamed answers as safe Markdown, a stop button, tool
// calls shown compactly, and clear messages for errors and a lost connection. The conversations
// panel lists, searches and manages the user's sessions; the page shows one chat (its key, from
// the server's frames) at a time and ignores the frames of others the socket still follows.
import { html, useEffect, useRef, useState } from '../lib/html.js';
import { get } from '../lib/api.js';
import { renderMarkdown } from '../lib/markdown.js';
import { openSocket } from '../lib/socket.js';
import { SessionsPanel } from './sessions.js';

export function Chat({ agentId, sessionId: initialSession }) {
  const [agent, setAgent] = useState(null);
  const [messages, setMessages] = useState([]);
  const [running, setRunning] = useState(null); // the assistant message being written
  const [thinking, setThinking] = useState(false);
  const [connection, setConnection] = useState('connecting');
  const [error, setError] = useState(null);
  const [draft, setDraft] = useState('');
  const [sessionId, setSessionId] = useState(initialSession ?? null);
  const [refresh, setRefresh] = useState(0);
  const socket = useRef(null);
  const list = useRef(null);
  // The chat shown: its key once the server named it (null: waiting for a history or an ack),
  // and whether the next message opens a new session.
  const chatKey = useRef(null);
  const fresh = useRef(false);
  const wanted = useRef(initialSession ?? null);

  // Asks for the shown chat's history: by key once known, else the session chosen, else `main`.
  function history(s = socket.current) {
    if (fresh.current) return;
    if (chatKey.current) s?.send({ type: 'history', agentId, chatId: chatKey.current });
    else if (wanted.current) s?.send({ type: 'history', agentId, sessionId: wanted.current });
    else s?.send({ type: 'history', agentId });
  }

  useEffect(() => {
    get(`/api/agents/${encodeURIComponent(agentId)}`).then(setAgent).catch(setError);
    const s = openSocket({
      onState: (state) => {
        setConnection(state);
        // (Re)connected: the history brings what was missed, and resumes a run in progress.
        if (state === 'open') history(s);
      },
      onFrame: (frame) => onFrame(frame),
    });
    socket.current = s;
    return () => s.close();
  }, [agentId]);

  useEffect(() => {
    list.current?.scrollTo?.(0, list.current.scrollHeight);
  }, [messages]);

  function onFrame(frame) {
    if (frame.agentId && frame.agentId !== agentId) return;
    // Another chat the socket follows: not the one shown.
    if (frame.chatId && chatKey.current && frame.chatId !== chatKey.current) return;
    if (!chatKey.current && frame.chatId && frame.type !== 'history' && frame.type !== 'ack') return;
    switch (frame.type) {
      case 'history': {
        chatKey.current = frame.chatId;
        const shown = frame.messages.map(toShown);
        if (frame.activeRun) {
          const at = shown.findIndex((m) => m.id === frame.activeRun.messageId);
          const partial = { id: frame.activeRun.messageId, role: 'assistant', content: frame.activeRun.content, status: 'streaming', steps: [] };
          if (at >= 0) shown[at] = partial;
          else shown.push(partial);
          setRunning(frame.activeRun.messageId);
        } else {
          setRunning(null);
        }
        setMessages(shown);
        break;
      }
      case 'ack':
        chatKey.current = frame.chatId;
        fresh.current = false;
        setSessionId(frame.sessionId);
        setRefresh((n) => n + 1);
        setMessages((ms) => [
          ...ms.filter((m) => m.id !== frame.clientMessageId),
          { id: frame.userMessageId, role: 'user', content: pendingText.get(frame.clientMessageId) ?? '', status: 'complete', steps: [] },
          { id: frame.messageId, role: 'assistant', content: '', status: 'streaming', steps: [] },
        ]);
        pendingText.delete(frame.clientMessageId);
        setRunning(frame.messageId);
        break;
      case 'thinking':
        setThinking(frame.tool ? `${toolLabel(frame.tool)}…` : 'Thinking…');
        break;
      case 'chunk':
        setThinking(false);
        setMessages((ms) => ms.map((m) => (m.id === frame.messageId ? { ...m, content: m.content + frame.content } : m)));
        break;
      case 'done':
        setMessages((ms) => ms.map((m) => (m.id === frame.messageId ? { ...m, status: frame.status } : m)));
        break;
      case 'complete':
        setRunning(null);
        setThinking(false);
        // The stored messages carry the tool calls the run made: show them.
        history();
        setRefresh((n) => n + 1);
        break;
      case 'error': {
        setThinking(false);
        setError({ message: capitalise(frame.message), code: frame.code });
        // A refused message was not stored: take it out of the list and give its text back.
        const [refused] = REFUSALS.has(frame.code) ? pendingText.entries() : [];
        if (refused) {
          const [clientMessageId, text] = refused;
          pendingText.delete(clientMessageId);
          setMessages((ms) => ms.filter((m) => m.id !== clientMessageId));
          setDraft(text);
        }
        if (frame.code === 'not_authenticated') setConnection('signed-out');
        // Fell behind the run: the history brings the text so far and follows again.
        if (frame.code === 'lagged') history();
        break;
      }
      default:
        break;
    }
  }

  function send(event) {
    event.preventDefault();
    const content = draft.trim();
    if (!content) return;
    const clientMessageId = crypto.randomUUID();
    pendingText.set(clientMessageId, content);
    setError(null);
    const where = fresh.current ? { sessionId: null } : chatKey.current ? { chatId: chatKey.current } : {};
    if (socket.current?.send({ type: 'message', agentId, content, clientMessageId, ...where })) {
      setMessages((ms) => [...ms, { id: clientMessageId, role: 'user', content, status: 'sending', steps: [] }]);
      setDraft('');
    } else {
      setError({ message: 'Not connected: your message is kept; send it again once the connection is back.' });
    }
  }

  const stop = () => socket.current?.send({ type: 'abort', agentId, chatId: chatKey.current ?? undefined });

  function openSession(id) {
    fresh.current = false;
    chatKey.current = null;
    wanted.current = id;
    setSessionId(id);
    setRunning(null);
    setError(null);
    history();
  }

  function newConversation() {
    fresh.current = true;
    chatKey.current = null;
    wanted.current = null;
    setSessionId(null);
    setMessages([]);
    setRunning(null);
    setError(null);
  }

  return html`
    <main class="chat" data-connection=${connection}>
      <header class="chat-head">
        <h1>${agent?.name ?? 'Chat'}</h1>
        ${agent?.tagline && html`<p class="tagline">${agent.tagline}</p>`}
        ${connection === 'lost' && html`<p class="notice" role="status">Connection lost — reconnecting…</p>`}
        ${connection === 'signed-out' && html`<p class="error" role="alert">Your session ended. <a href="/login">Sign in again</a>.</p>`}
      </header>
      <${SessionsPanel} agentId=${agentId} current=${sessionId} refresh=${refresh} onOpen=${openSession} onNew=${newConversation} />
      <ol class="messages" ref=${list} aria-live="polite">
        ${messages.length === 0 && agent?.greeting && html`<li class="msg assistant"><div class="md" dangerouslySetInnerHTML=${{ __html: renderMarkdown(agent.greeting) }}></div></li>`}
        ${messages.map((m) => html`<${MessageView} key=${m.id} message=${m} />`)}
      </ol>
      ${messages.length === 0 && agent?.starterPrompts?.length > 0 && html`
        <div class="starters">
          ${agent.starterPrompts.map((p) => html`<button type="button" class="secondary" onClick=${() => setDraft(p)}>${p}</button>`)}
        </div>`}
      ${thinking && html`<p class="thinking" role="status">${thinking}</p>`}
      ${error && html`<p class="error" role="alert">${error.message}</p>`}
      <form class="composer" onSubmit=${send}>
        <label for="message" class="visually-hidden">Message</label>
        <textarea id="message" rows="2" value=${draft} placeholder="Ask something…"
          onInput=${(e) => setDraft(e.currentTarget.value)}
          onKeyDown=${(e) => { if (e.key === 'Enter' && !e.shiftKey) send(e); }}></textarea>
        ${running
          ? html`<button type="button" class="secondary" onClick=${stop}>Stop</button>`
          : html`<button type="submit">Send</button>`}
      </form>
    </main>`;
}

// The text of messages sent and not yet acknowledged, by client message id.
const pendingText = new Map();

function toShown(m) {
  return { id: m.id, role: m.role, content: m.content, status: m.status, steps: m.steps ?? [], error: m.error };
}

// Errors that refuse a message before it is stored (docs/API.md, "Errors in frames").
const REFUSALS = new Set(['agent_not_found', 'invalid_input', 'duplicate_message', 'agent_has_no_model',
  'provider_not_configured', 'too_many_runs', 'too_many_follows', 'secret_unreadable', 'session_not_found',
  'budget_exceeded']);

// Why a stored answer failed, by the code the history gives.
const FAILURES = {
  provider_unauthorized: 'the provider refused the API key; an admin must update it',
  model_not_found: "the provider does not know this agent's model",
  provider_rate_limited: 'the provider is rate limiting requests; try again later',
  provider_error: 'the provider failed',
  provider_unreachable: 'the provider could not be reached',
  provider_timeout: 'the provider did not answer in time',
  provider_stream_broken: "the provider's stream broke off",
  provider_bad_response: "the provider's answer was not understood",
  model_refused: 'the model declined to answer',
  private_url: "the provider's address is a private one, which this server does not allow",
  step_limit_reached: 'the agent needed more steps than allowed',
  storage_unavailable: 'the database was unavailable',
};

const capitalise = (text) => (text ? text[0].toUpperCase() + text.slice(1) : text);

// What a tool does, in words (its name otherwise).
const TOOL_LABELS = { pinchy_ls: 'Listing a folder', pinchy_read: 'Reading a file' };
const toolLabel = (name) => TOOL_LABELS[name] ?? name;

function MessageView({ message }) {
  const steps = message.steps ?? [];
  return html`
    <li class=${`msg ${message.role}`}>
      ${steps.length > 0 && html`
        <ul class="steps-used">
          ${steps.map((s) => html`<li>${toolLabel(s.name)} <code>${s.arguments?.path ?? ''}</code> — ${s.denied ? 'denied' : s.isError ? 'failed' : 'done'}</li>`)}
        </ul>`}
      ${message.role === 'assistant'
        ? (message.content || message.status === 'streaming') && html`<div class="md" dangerouslySetInnerHTML=${{ __html: renderMarkdown(message.content) }}></div>`
        : html`<p class="plain">${message.content}</p>`}
      ${message.status === 'aborted' && html`<p class="meta">Stopped.</p>`}
      ${message.status === 'failed' && html`<p class="meta">The answer failed${message.error ? ': ' + (FAILURES[message.error] ?? message.error) : ''}.</p>`}
      ${message.status === 'interrupted' && html`<p class="meta">Interrupted: the server stopped during this answer.</p>`}
    </li>`;
}
