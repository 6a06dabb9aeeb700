// Sign-in: e-mail and password; the server's message on refusal (wrong credentials, throttled).
import { html, useState } from '../lib/html.js';
import { post } from '../lib/api.js';
import { Field, ErrorLine, useAction } from '../lib/form.js';

export function Login({ onSignedIn }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [{ busy, error }, run] = useAction();

  async function submit(event) {
    event.preventDefault();
    const signedIn = await run(() => post('/api/auth/login', { email, password }));
    if (signedIn) onSignedIn(signedIn.user);
  }

  return html`
    <main class="narrow">
      <h1>Sign in to Pincer</h1>
      <form onSubmit=${submit} class="card">
        <${Field} id="email" label="E-mail" type="email" value=${email} onInput=${setEmail} autocomplete="username" />
        <${Field} id="password" label="Password" type="password" value=${password} onInput=${setPassword}
          autocomplete="current-password" />
        <${ErrorLine} error=${error} />
        <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>`;
}

// The page a QR sign-in link opens on a phone: one button, so that a link previewer fetching
// the page does not use the code up.
export function QrLogin({ code, onSignedIn }) {
  const [{ busy, error }, run] = useAction();
  async function submit(event) {
    event.preventDefault();
    const signedIn = await run(() => post('/api/auth/qr', { code }));
    if (signedIn) onSignedIn(signedIn.user);
  }
  return html`
    <main class="narrow">
      <h1>Sign in on this device</h1>
      <form onSubmit=${submit} class="card">
        <p>You scanned a sign-in code from Pincer on another device. It works once, within two minutes of being shown.</p>
        <${ErrorLine} error=${error} />
        <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in on this device'}</button>
      </form>
    </main>`;
}
