// Form pieces: a labelled field and the error line. Every control has a visible label; errors
// are announced (role=alert) and name the server's own message.
import { html } from './html.js';

export function Field({ id, label, type = 'text', value, onInput, autocomplete, required = true, hint, minlength }) {
  return html`
    <div class="field">
      <label for=${id}>${label}</label>
      <input id=${id} name=${id} type=${type} value=${value} required=${required}
        autocomplete=${autocomplete} minlength=${minlength}
        aria-describedby=${hint ? id + '-hint' : undefined}
        onInput=${(e) => onInput(e.currentTarget.value)} />
      ${hint && html`<p class="hint" id=${id + '-hint'}>${hint}</p>`}
    </div>`;
}

export function ErrorLine({ error }) {
  return error ? html`<p class="error" role="alert">${error.message}</p>` : null;
}
