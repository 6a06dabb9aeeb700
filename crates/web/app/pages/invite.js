// An invite or a password-reset link (/invite/{token}): the new account's name and password, or
// a new password. The server says whether the link is unknown, expired or used.
import { html, useState } from '../lib/html.js';
import { ApiError, post } from '../lib/api.js';
import { Field, ErrorLine, useAction } from '../lib/form.js';
import { navigate } from '../lib/router.js';

export function Invite({ token }) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [{ busy, error, done }, run] = useAction();

  function submit(event) {
    event.preventDefault();
    const body = { token, name: name.trim(), password };
    if (email.trim()) body.email = email.trim();
    run(() => post('/api/invite/claim', body).catch((e) => {
      throw e.code === 'invalid_token'
        ? new ApiError(e.status, e.code, 'This link is unknown, has expired or was already used. Ask an admin for a new one.')
        : e;
    }));
  }

  if (done) {
    return html`
      <main class="narrow">
        <h1>You are all set</h1>
        <p>Sign in with your e-mail and the password you chose.</p>
        <button type="button" onClick=${() => navigate('/login')}>Sign in</button>
      </main>`;
  }
  return html`
    <main class="narrow">
      <h1>Join Pincer</h1>
      <p>Choose your password. For a password-reset link, the password is all that is needed.</p>
      <form onSubmit=${submit} class="card">
        <${Field} id="name" label="Your name" value=${name} onInput=${setName} autocomplete="name" required=${false}
          hint="Needed for a new account." />
        <${Field} id="email" label="E-mail" type="email" value=${email} onInput=${setEmail} autocomplete="username"
          required=${false} hint="Only if your invitation did not name one." />
        <${Field} id="password" label="Password" type="password" value=${password} onInput=${setPassword}
          autocomplete="new-password" minlength="8" hint="At least 8 characters, not a common password." />
        <${ErrorLine} error=${error} />
        <button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save'}</button>
      </form>
    </main>`;
}
