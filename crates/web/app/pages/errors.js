// Pages for paths the user may not see or that do not exist.
import { html } from '../lib/html.js';

export function NotAllowed() {
  return html`
    <main class="narrow">
      <h1>Not allowed</h1>
      <p>This page is for administrators. Ask an admin of your Pincer if you need access.</p>
      <p><a href="/">Back to your agents</a></p>
    </main>`;
}

export function NotFound() {
  return html`
    <main class="narrow">
      <h1>Page not found</h1>
      <p><a href="/">Back to your agents</a></p>
    </main>`;
}
