// Previous/next buttons over a paged list (`page` from 1), with where the reader is.
import { html } from './html.js';

export function Pager({ page, total, limit, onPage, noun = 'entries', previous = 'Previous', next = 'Next' }) {
  const pages = Math.max(1, Math.ceil(total / limit));
  if (pages <= 1 && page <= 1) return null;
  return html`
    <nav class="pager" aria-label="Pages">
      <button type="button" class="secondary" disabled=${page <= 1} onClick=${() => onPage(page - 1)}>${previous}</button>
      <span>Page ${page} of ${pages} · ${total} ${noun}</span>
      <button type="button" class="secondary" disabled=${page >= pages} onClick=${() => onPage(page + 1)}>${next}</button>
    </nav>`;
}
