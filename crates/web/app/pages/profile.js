// The caller's profile: name, personal context (what their personal agent knows about them),
// password, their Telegram link (by the pairing code a bot sends them), sign-in on a phone by QR
// code, and their API tokens.
// Each part saves on its own and says so.
import { html, useEffect, useState } from '../lib/html.js';
import { api, get, post } from '../lib/api.js';
import { Field, ErrorLine, useAction } from '../lib/form.js';
import { ApiTokens } from './tokens.js';
import { QrSignIn } from './qr.js';

export function Profile({ user, onRenamed }) {
  return html`
    <main class="narrow">
      <h1>Your profile</h1>
      <${NameForm} user=${user} onRenamed=${onRenamed} />
      <${ContextForm} />
      <${PasswordForm} />
      <${TelegramLink} />
      <${QrSignIn} />
      <${ApiTokens} user=${user} />
    </main>`;
}

function Saved({ state }) {
  return state.done ? html`<p class="saved" role="status">Saved.</p>` : null;
}

function NameForm({ user, onRenamed }) {
  const [name, setName] = useState(user.name);
  const [state, run] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      await api('PATCH', '/api/users/me', { name: name.trim() });
      onRenamed(name.trim());
    });
  };
  return html`
    <form onSubmit=${submit} class="card">
      <h2>Name</h2>
      <${Field} id="profile-name" label="Your name" value=${name} onInput=${setName} autocomplete="name" />
      <${ErrorLine} error=${state.error} /><${Saved} state=${state} />
      <button type="submit" disabled=${state.busy}>Save the name</button>
    </form>`;
}

function ContextForm() {
  const [content, setContent] = useState('');
  const [loadError, setLoadError] = useState(null);
  const [state, run] = useAction();
  useEffect(() => {
    get('/api/users/me/context').then((c) => setContent(c.content)).catch(setLoadError);
  }, []);
  const submit = (e) => {
    e.preventDefault();
    run(() => api('PUT', '/api/users/me/context', { content }));
  };
  return html`
    <form onSubmit=${submit} class="card">
      <h2>About you</h2>
      <div class="field">
        <label for="context">What your personal agent should know about you</label>
        <textarea id="context" rows="6" maxlength="16000" value=${content}
          onInput=${(e) => setContent(e.currentTarget.value)}></textarea>
        <p class="hint">Markdown, at most 16,000 characters. Shared agents never see it.</p>
      </div>
      <${ErrorLine} error=${loadError ?? state.error} /><${Saved} state=${state} />
      <button type="submit" disabled=${state.busy}>Save</button>
    </form>`;
}

function PasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [state, run] = useAction();
  const submit = async (e) => {
    e.preventDefault();
    if (await run(() => post('/api/users/me/password', { currentPassword: current, newPassword: next }))) {
      setCurrent('');
      setNext('');
    }
  };
  return html`
    <form onSubmit=${submit} class="card">
      <h2>Password</h2>
      <${Field} id="current-password" label="Current password" type="password" value=${current} onInput=${setCurrent}
        autocomplete="current-password" />
      <${Field} id="new-password" label="New password" type="password" value=${next} onInput=${setNext}
        autocomplete="new-password" minlength="8" hint="Your other sessions end; this one stays signed in." />
      <${ErrorLine} error=${state.error} /><${Saved} state=${state} />
      <button type="submit" disabled=${state.busy}>Change the password</button>
    </form>`;
}

// The caller's Telegram account: linked (with an unlink button), or the steps and the pairing
// code form. The code comes from any of the organisation's bots, to a Telegram user who is not
// linked yet.
function TelegramLink() {
  const [link, setLink] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [code, setCode] = useState('');
  const [state, run] = useAction();
  useEffect(() => {
    get('/api/settings/telegram').then(setLink).catch(setLoadError);
  }, []);
  const submit = async (e) => {
    e.preventDefault();
    const linked = await run(() => post('/api/settings/telegram', { code: code.trim() }));
    if (linked) {
      setCode('');
      setLink(linked);
    }
  };
  const unlink = async () => {
    const done = await run(() => api('DELETE', '/api/settings/telegram'));
    if (done) setLink(done);
  };
  return html`
    <section class="card" aria-labelledby="telegram-heading">
      <h2 id="telegram-heading">Telegram</h2>
      <${ErrorLine} error=${loadError} />
      ${link?.linked && html`
        <p role="status"><strong>Linked</strong> to Telegram user ${link.channelUserId}. Your messages to the bots reach your agents as you.</p>
        <${ErrorLine} error=${state.error} />
        <button type="button" class="secondary" disabled=${state.busy} onClick=${unlink}>Unlink Telegram</button>`}
      ${link && !link.linked && html`
        <p class="meta">Talk to your agents from Telegram once your account there is linked.</p>
        <ol class="howto">
          <li>Open the bot in Telegram and send it any message; it answers with a code.</li>
          <li>Enter it here within 10 minutes.</li>
        </ol>
        <form onSubmit=${submit}>
          <div class="field">
            <label for="telegram-code">Pairing code</label>
            <input id="telegram-code" name="telegram-code" required value=${code} placeholder="ABCD-EFGH"
              autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="32"
              onInput=${(e) => setCode(e.currentTarget.value)} />
          </div>
          <${ErrorLine} error=${state.error} />
          <button type="submit" disabled=${state.busy}>Link Telegram</button>
        </form>`}
    </section>`;
}
