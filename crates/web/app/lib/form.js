// Form pieces: a labelled field and the error line. Every control has a visible label; errors
// are announced (role=alert) and name the server's own message.
import { html, useState } from './html.js';

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

// A form's submission: `busy` while it runs, the refusal as `error`, `done` after success (to say
// "Saved."). `run(action)` resolves to the action's result, or `undefined` when it failed — the
// form keeps what the user typed either way.
export function useAction() {
  const [state, setState] = useState({ busy: false, error: null, done: false });
  async function run(action) {
    setState({ busy: true, error: null, done: false });
    try {
      const result = await action();
      setState({ busy: false, error: null, done: true });
      return result ?? true;
    } catch (error) {
      setState({ busy: false, error, done: false });
      return undefined;
    }
  }
  return [state, run];
}
