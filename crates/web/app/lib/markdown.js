// Markdown from the model, made safe twice: markdown-it with raw HTML off (a tag is shown as
// text), then DOMPurify over its output. Links keep only http(s) and mailto targets and open
// with rel="noopener noreferrer".
import '../vendor/markdown-it.min.js';
import DOMPurify from '../vendor/purify.es.js';

// The UMD build registers itself on globalThis when loaded as a module.
const md = globalThis.markdownit({ html: false, linkify: true, breaks: false });
const SAFE_URL = /^(?:https?:|mailto:)/i;

md.validateLink = (url) => SAFE_URL.test(url.trim());

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    const href = node.getAttribute('href') ?? '';
    if (!SAFE_URL.test(href)) node.removeAttribute('href');
    node.setAttribute('rel', 'noopener noreferrer');
    node.setAttribute('target', '_blank');
  }
});

export function renderMarkdown(text) {
  return DOMPurify.sanitize(md.render(text ?? ''), {
    ALLOWED_URI_REGEXP: SAFE_URL,
    FORBID_TAGS: ['img', 'style', 'form', 'input', 'button', 'iframe'],
  });
}
