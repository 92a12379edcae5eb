// Model output to safe HTML: Markdown through marked, every bit of HTML through DOMPurify (a model can write
// <script> or onerror=), code blocks highlighted by highlight.js with a copy button.
import { marked } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js';

marked.setOptions({ gfm: true, breaks: false });

DOMPurify.addHook('afterSanitizeAttributes', node => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/** Splits a reply into its reasoning (<think> sections, possibly still open while streaming) and its answer. */
export function splitThinking(text) {
  let reasoning = '';
  let answer = '';
  let rest = text;
  for (;;) {
    const open = rest.indexOf('<think>');
    if (open < 0) {
      answer += rest;
      break;
    }
    answer += rest.slice(0, open);
    const close = rest.indexOf('</think>', open + 7);
    if (close < 0) {
      reasoning += rest.slice(open + 7);
      break;
    }
    reasoning += rest.slice(open + 7, close);
    rest = rest.slice(close + 8);
  }
  return { reasoning: reasoning.trim(), answer: answer.replace(/^\s+/, '') };
}

/** Renders Markdown into element, sanitized; code blocks get highlighting and a copy button. */
export function renderMarkdown(element, markdown) {
  element.innerHTML = DOMPurify.sanitize(marked.parse(markdown));
  for (const code of element.querySelectorAll('pre > code')) {
    const language = [...code.classList].find(c => c.startsWith('language-'));
    if (!language || hljs.getLanguage(language.slice(9))) hljs.highlightElement(code);
    const pre = code.parentElement;
    pre.classList.add('code');
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.className = 'copy';
    copy.textContent = 'Copy';
    copy.addEventListener('click', () => copyText(code.textContent, copy));
    pre.appendChild(copy);
  }
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // a page over plain http on another host has no clipboard API: fall back to a selection
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  button.textContent = 'Copied';
  setTimeout(() => { button.textContent = 'Copy'; }, 1500);
}
