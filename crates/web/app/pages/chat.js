// Chat with one agent over the WebSocket (docs/API.md, "Chat"): the history when the page
// opens (with a run in progress resumed), streamed answers as safe Markdown, a stop button, tool
// calls shown compactly, and clear messages for errors and a lost connection.
import { html, useEffect, useRef, useState } from '../lib/html.js';
import { get } from '../lib/api.js';
import { renderMarkdown } from '../lib/markdown.js';
import { openSocket } from '../lib/socket.js';

export function Chat({ agentId }) {
  const [agent, setAgent] = useState(null);
  const [messages, setMessages] = useState([]);
  const [running, setRunning] = useState(null); // the assistant message being written
  const [thinking, setThinking] = useState(false);
  const [connection, setConnection] = useState('connecting');
  const [error, setError] = useState(null);
  const [draft, setDraft] = useState('');
  const socket = useRef(null);
  const list = useRef(null);

  useEffect(() => {
    get(`/api/agents/${encodeURIComponent(agentId)}`).then(setAgent).catch(setError);
    const s = openSocket({
      onState: (state) => {
        setConnection(state);
        // (Re)connected: the history brings what was missed, and resumes a run in progress.
        if (state === 'open') s.send({ type: 'history', agentId });
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
    switch (frame.type) {
      case 'history': {
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
        setMessages((ms) => [
          ...ms.filter((m) => m.id !== frame.clientMessageId),
          { id: frame.userMessageId, role: 'user', content: pendingText.get(frame.clientMessageId) ?? '', status: 'complete', steps: [] },
          { id: frame.messageId, role: 'assistant', content: '', status: 'streaming', steps: [] },
        ]);
        pendingText.delete(frame.clientMessageId);
        setRunning(frame.messageId);
        break;
      case 'thinking':
        setThinking(frame.tool ? `Using ${frame.tool}…` : 'Thinking…');
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
        break;
      case 'error':
        setThinking(false);
        setError({ message: frame.message, code: frame.code });
        if (frame.code === 'not_authenticated') setConnection('signed-out');
        break;
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
    if (socket.current?.send({ type: 'message', agentId, content, clientMessageId })) {
      setMessages((ms) => [...ms, { id: clientMessageId, role: 'user', content, status: 'sending', steps: [] }]);
      setDraft('');
    } else {
      setError({ message: 'Not connected: your message is kept; send it again once the connection is back.' });
    }
  }

  const stop = () => socket.current?.send({ type: 'abort', agentId });

  return html`
    <main class="chat">
      <header class="chat-head">
        <h1>${agent?.name ?? 'Chat'}</h1>
        ${agent?.tagline && html`<p class="tagline">${agent.tagline}</p>`}
        ${connection === 'lost' && html`<p class="notice" role="status">Connection lost — reconnecting…</p>`}
        ${connection === 'signed-out' && html`<p class="error" role="alert">Your session ended. <a href="/login">Sign in again</a>.</p>`}
      </header>
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

function MessageView({ message }) {
  const steps = message.steps ?? [];
  return html`
    <li class=${`msg ${message.role}`}>
      ${steps.length > 0 && html`
        <ul class="steps-used">
          ${steps.map((s) => html`<li>${s.name} ${s.arguments?.path ?? ''} — ${s.denied ? 'denied' : s.isError ? 'failed' : 'done'}</li>`)}
        </ul>`}
      ${message.role === 'assistant'
        ? html`<div class="md" dangerouslySetInnerHTML=${{ __html: renderMarkdown(message.content) }}></div>`
        : html`<p class="plain">${message.content}</p>`}
      ${message.status === 'aborted' && html`<p class="meta">Stopped.</p>`}
      ${message.status === 'failed' && html`<p class="meta">The answer failed${message.error ? ': ' + message.error : '.'}</p>`}
      ${message.status === 'interrupted' && html`<p class="meta">Interrupted: the server stopped during this answer.</p>`}
    </li>`;
}
