// "Sign in on your phone", on the profile page: a QR code of a one-time link (valid two minutes,
// single use) that signs the phone in as the caller. A new code replaces the shown one.
import { html, useState } from '../lib/html.js';

export function QrSignIn() {
  const [shownAt, setShownAt] = useState(null);
  return html`
    <section class="card" aria-labelledby="qr-heading">
      <h2 id="qr-heading">Sign in on your phone</h2>
      <p class="meta">Scan the code with your phone's camera and confirm there. It works once, within two minutes.</p>
      ${shownAt && html`<img class="qr" src=${`/api/qr?format=svg&n=${shownAt}`} width="256" height="256"
        alt="QR code of a one-time sign-in link" />`}
      <button type="button" class="secondary" onClick=${() => setShownAt(Date.now())}>
        ${shownAt ? 'Show a new code' : 'Show a sign-in QR code'}
      </button>
    </section>`;
}
