// The app shell: decides, from the server's own answers, whether to show the setup wizard, the
// sign-in page or the signed-in app, and routes between pages. Every rule (who may see what)
// stays on the server; the UI only hides what would be refused anyway.
import { html, render, useEffect, useState } from './lib/html.js';
import { get, post } from './lib/api.js';
import { navigate, onLinkClick, usePath } from './lib/router.js';
import { applyTheme, currentTheme, toggleTheme } from './lib/theme.js';
import { Login, QrLogin } from './pages/login.js';
import { Setup } from './pages/setup.js';
import { Agents } from './pages/agents.js';
import { NotAllowed, NotFound } from './pages/errors.js';
import { Invite } from './pages/invite.js';
import { Profile } from './pages/profile.js';
import { Memory } from './pages/memory.js';
import { Chat } from './pages/chat.js';
import { Users } from './pages/admin/users.js';
import { Audit } from './pages/admin/audit.js';
import { Agents as AdminAgents } from './pages/admin/agents.js';
import { Providers } from './pages/admin/providers.js';
import { Settings } from './pages/admin/settings.js';
import { Usage } from './pages/admin/usage.js';
import { License } from './pages/admin/license.js';
import { Groups } from './pages/admin/groups.js';
import { Webhooks } from './pages/admin/webhooks.js';
import { Channels } from './pages/admin/channels.js';
import { Security } from './pages/admin/security.js';

applyTheme(currentTheme());

function App() {
  const path = usePath();
  const [status, setStatus] = useState(null);
  const [user, setUser] = useState(undefined);
  const [error, setError] = useState(null);

  useEffect(() => {
    get('/api/setup/status')
      .then(async (s) => {
        setStatus(s);
        try {
          setUser(await get('/api/auth/me'));
        } catch (e) {
          if (e.status === 401) setUser(null);
          else throw e;
        }
      })
      .catch(setError);
  }, []);

  // Where the user may be, given setup and sign-in.
  useEffect(() => {
    if (!status || user === undefined) return;
    if (!status.setupComplete) navigate('/setup', { replace: true });
    else if (!user && path !== '/login' && !path.startsWith('/invite/') && !path.startsWith('/login/qr/')) {
      navigate('/login', { replace: true });
    }
    else if (user && (path === '/login' || (path === '/setup' && !inWizard))) navigate('/', { replace: true });
  }, [status, user, path]);

  if (error) return html`<main class="narrow"><h1>Pincer</h1><p class="error" role="alert">${error.message}</p></main>`;
  if (!status || user === undefined) return html`<p class="boot">Loading Pincer…</p>`;

  let page;
  if (path === '/setup') {
    page = html`<${Setup} status=${status} onAdmin=${(u) => { inWizard = true; setUser(u); }}
      onDone=${() => { inWizard = false; setStatus({ ...status, setupComplete: true }); navigate('/'); }} />`;
  } else if (path === '/login') {
    page = html`<${Login} onSignedIn=${(u) => { setUser(u); navigate('/'); }} />`;
  } else if (path.startsWith('/login/qr/')) {
    const code = decodeURIComponent(path.slice('/login/qr/'.length));
    page = html`<${QrLogin} code=${code} onSignedIn=${(u) => { setUser(u); navigate('/'); }} />`;
  } else if (path.startsWith('/invite/')) {
    page = html`<${Invite} token=${decodeURIComponent(path.slice('/invite/'.length))} />`;
  } else if (!user) {
    page = null;
  } else if (path.startsWith('/admin')) {
    page = user.role !== 'admin' ? html`<${NotAllowed} />`
      : path === '/admin/users' ? html`<${Users} me=${user} />`
      : path === '/admin/audit' ? html`<${Audit} />`
      : path === '/admin/agents' ? html`<${AdminAgents} />`
      : path === '/admin/providers' ? html`<${Providers} />`
      : path === '/admin/settings' ? html`<${Settings} />`
      : path === '/admin/usage' ? html`<${Usage} />`
      : path === '/admin/license' ? html`<${License} />`
      : path === '/admin/groups' ? html`<${Groups} />`
      : path === '/admin/webhooks' ? html`<${Webhooks} />`
      : path === '/admin/channels' ? html`<${Channels} />`
      : path === '/admin/security' ? html`<${Security} />`
      : html`<${NotFound} />`;
  } else if (path === '/' || path === '/agents') {
    page = html`<${Agents} />`;
  } else if (path.startsWith('/chat/')) {
    const session = new URLSearchParams(location.search).get('session');
    page = html`<${Chat} agentId=${decodeURIComponent(path.slice('/chat/'.length))} sessionId=${session} />`;
  } else if (path === '/memory') {
    page = html`<${Memory} />`;
  } else if (path === '/profile') {
    page = html`<${Profile} user=${user} onRenamed=${(name) => setUser({ ...user, name })} />`;
  } else {
    page = html`<${NotFound} />`;
  }
  return html`<${Layout} user=${user} onSignedOut=${() => { setUser(null); navigate('/login'); }}>${page}</${Layout}>`;
}

// Set when this page created the first admin: the wizard keeps its page while it signs the new
// admin in (its later steps need the session); only finishing it leaves /setup. A /setup opened
// later goes to the app.
let inWizard = false;

function Layout({ user, onSignedOut, children }) {
  const [theme, setTheme] = useState(currentTheme());
  async function signOut() {
    try {
      await post('/api/auth/logout');
    } finally {
      onSignedOut();
    }
  }
  return html`
    <a class="skip" href="#content">Skip to content</a>
    <header class="top">
      <a class="brand" href="/">Pincer</a>
      <nav aria-label="Main">
        ${user && html`<a href="/">Agents</a><a href="/memory">Memory</a>`}
        ${user?.role === 'admin' && html`<a href="/admin/agents">Manage agents</a><a href="/admin/providers">Providers</a><a href="/admin/users">Users</a><a href="/admin/groups">Groups</a><a href="/admin/webhooks">Webhooks</a><a href="/admin/channels">Channels</a><a href="/admin/settings">Settings</a><a href="/admin/usage">Usage</a><a href="/admin/audit">Audit</a><a href="/admin/security">Security</a><a href="/admin/license">Licence</a>`}
        ${user && html`<a href="/api/docs">API</a>`}
      </nav>
      <div class="account">
        <button type="button" class="secondary" onClick=${() => setTheme(toggleTheme())}
          aria-label=${theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme'}>
          ${theme === 'dark' ? 'Light' : 'Dark'}
        </button>
        ${user && html`<a class="who" href="/profile">${user.name}</a>
          <button type="button" class="secondary" onClick=${signOut}>Sign out</button>`}
      </div>
    </header>
    <div id="content">${children}</div>`;
}

document.addEventListener('click', onLinkClick);
render(html`<${App} />`, document.getElementById('app'));
