// The chat page: wires the sidebar, the conversation, the composer and the settings to the API.
import { Api, ApiFailure } from './api.js';
import { Store, storage } from './store.js';
import { renderMarkdown, splitThinking } from './render.js';
import { showPullPanel, hidePullPanel } from './pull.js';

const $ = id => document.getElementById(id);
const store = new Store();
const api = new Api(() => store.settings().api_key || '');
const SAMPLING = ['temperature', 'top_p', 'top_k', 'min_p', 'max_tokens', 'seed'];

let serverDefaults = {};
let running = null; // {controller, conversation} while a reply streams

// ---- conversations in the sidebar ----

function renderSidebar() {
  const list = $('conversations');
  list.replaceChildren();
  for (const c of store.list($('search').value)) {
    const item = document.createElement('li');
    item.dataset.id = c.id;
    if (c.id === store.currentId) item.classList.add('current');
    const title = document.createElement('button');
    title.type = 'button';
    title.className = 'title';
    title.textContent = c.title;
    title.title = c.title;
    title.addEventListener('click', () => openConversation(c.id));
    const rename = iconButton('✎', 'Rename', () => startRename(item, c));
    rename.classList.add('rename');
    const remove = iconButton('✕', 'Delete', () => {
      if (!confirm('Delete "' + c.title + '"?')) return;
      store.remove(c.id);
      if (!store.current()) showConversation(null);
      renderSidebar();
    });
    remove.classList.add('delete');
    item.append(title, rename, remove);
    list.appendChild(item);
  }
}

function startRename(item, c) {
  const input = document.createElement('input');
  input.className = 'rename-input';
  input.value = c.title;
  input.setAttribute('aria-label', 'Conversation title');
  item.replaceChildren(input);
  input.focus();
  input.select();
  let done = false;
  const finish = save => {
    if (done) return;
    done = true;
    if (save) store.rename(c.id, input.value);
    renderSidebar();
  };
  input.addEventListener('keydown', e => {
    if (e.key === 'Enter') finish(true);
    if (e.key === 'Escape') finish(false);
  });
  input.addEventListener('blur', () => finish(true));
}

function iconButton(text, label, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.title = label;
  b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}

function openConversation(id) {
  if (running) stop();
  store.select(id);
  showConversation(store.current());
  renderSidebar();
  document.body.classList.remove('sidebar-open');
}

// ---- the conversation ----

function showConversation(c) {
  clearError();
  const box = $('messages');
  box.replaceChildren();
  if (!c || c.messages.length === 0) {
    const empty = document.createElement('div');
    empty.className = 'empty';
    empty.textContent = 'Ask anything. Replies stream from the model served here.';
    box.appendChild(empty);
    return;
  }
  c.messages.forEach((m, i) => box.appendChild(messageView(c, m, i)));
  box.scrollTop = box.scrollHeight;
}

function messageView(c, m, index) {
  const view = document.createElement('article');
  view.className = 'msg ' + m.role;
  const content = document.createElement('div');
  content.className = 'content';
  view.appendChild(content);
  if (m.role === 'assistant') {
    fillAssistant(view, m);
    const last = index === c.messages.length - 1;
    if (last) view.appendChild(actions([['Regenerate', 'regenerate', () => regenerate(c, index)]]));
  } else {
    content.textContent = m.content; // the user's own text is shown as typed, never as HTML
    const list = [['Edit', 'edit', () => editMessage(view, c, index)]];
    // a question left without an answer (the request failed): send it again
    if (index === c.messages.length - 1) list.push(['Retry', 'retry', () => running || generate(c)]);
    view.appendChild(actions(list));
  }
  return view;
}

function actions(list) {
  const bar = document.createElement('div');
  bar.className = 'actions';
  for (const [label, cls, fn] of list) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = cls;
    b.textContent = label;
    b.addEventListener('click', fn);
    bar.appendChild(b);
  }
  return bar;
}

/** Fills an assistant message's view: collapsed reasoning, the answer as Markdown, and the stats line. */
function fillAssistant(view, m) {
  const { reasoning, answer } = splitThinking(m.content);
  const allReasoning = [m.reasoning || '', reasoning].filter(Boolean).join('\n\n');
  let details = view.querySelector('details.reasoning');
  if (allReasoning) {
    if (!details) {
      details = document.createElement('details');
      details.className = 'reasoning';
      details.innerHTML = '<summary>Reasoning</summary><div class="reasoning-text"></div>';
      view.insertBefore(details, view.firstChild);
    }
    details.querySelector('.reasoning-text').textContent = allReasoning;
  }
  renderMarkdown(view.querySelector('.content'), answer);
  let stats = view.querySelector('.stats');
  if (m.stats) {
    if (!stats) {
      stats = document.createElement('div');
      stats.className = 'stats';
      view.querySelector('.content').after(stats);
    }
    stats.textContent = statsText(m.stats);
  }
}

function statsText(s) {
  const parts = [];
  if (s.tokens != null) parts.push(s.tokens + ' tokens');
  if (s.tokensPerSecond != null) parts.push(s.tokensPerSecond.toFixed(1) + ' tokens/s');
  if (s.ttftMs != null) parts.push('first token ' + (s.ttftMs / 1000).toFixed(2) + ' s');
  if (s.promptTokens != null) parts.push('prompt ' + s.promptTokens + ' tokens');
  if (s.stopped) parts.push('stopped');
  else if (s.finishReason && s.finishReason !== 'stop') parts.push('finish: ' + s.finishReason);
  return parts.join(' · ');
}

function editMessage(view, c, index) {
  if (running) return;
  const area = document.createElement('textarea');
  area.className = 'edit-area';
  area.value = c.messages[index].content;
  const bar = actions([
    ['Save & regenerate', 'save-edit', () => {
      if (!area.value.trim()) return;
      c.messages.splice(index);
      c.messages.push({ role: 'user', content: area.value });
      store.save(c);
      showConversation(c);
      generate(c);
    }],
    ['Cancel', 'cancel-edit', () => showConversation(c)],
  ]);
  view.replaceChildren(area, bar);
  area.focus();
}

function regenerate(c, index) {
  if (running) return;
  c.messages.splice(index);
  store.save(c);
  showConversation(c);
  generate(c);
}

// ---- sending and streaming ----

function send() {
  const text = $('prompt').value;
  if (!text.trim() || running) return;
  let c = store.current();
  if (!c) c = store.create();
  c.messages.push({ role: 'user', content: text });
  if (!c.named && c.messages.filter(m => m.role === 'user').length === 1) {
    c.title = text.trim().split('\n')[0].slice(0, 60);
  }
  store.save(c);
  $('prompt').value = '';
  autosize();
  showConversation(c);
  renderSidebar();
  generate(c);
}

function requestBody(c) {
  const s = store.settings();
  const messages = [];
  if (s.system && s.system.trim()) messages.push({ role: 'system', content: s.system });
  for (const m of c.messages) messages.push({ role: m.role, content: m.content });
  const body = { messages };
  const model = $('model').value;
  if (model) body.model = model;
  for (const k of SAMPLING) if (s[k] !== undefined && s[k] !== '') body[k] = Number(s[k]);
  return body;
}

async function generate(c) {
  clearError();
  const m = { role: 'assistant', content: '', reasoning: '' };
  const box = $('messages');
  const view = document.createElement('article');
  view.className = 'msg assistant streaming';
  view.innerHTML = '<div class="content"></div>';
  box.querySelector('.empty')?.remove();
  box.appendChild(view);
  const controller = new AbortController();
  running = { controller, conversation: c };
  setRunning(true);
  const started = performance.now();
  let firstAt = null;
  let chunks = 0;
  let pending = false;
  const paint = () => {
    pending = false;
    fillAssistant(view, m);
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    if (nearBottom) box.scrollTop = box.scrollHeight;
  };
  let result = null;
  let stopped = false;
  try {
    result = await api.streamChat(requestBody(c), d => {
      if (firstAt == null) firstAt = performance.now();
      chunks++;
      m.content += d.content;
      m.reasoning += d.reasoning;
      if (!pending) {
        pending = true;
        requestAnimationFrame(paint);
      }
    }, controller.signal);
  } catch (e) {
    if (e.name === 'AbortError') stopped = true;
    else {
      running = null;
      setRunning(false);
      view.remove();
      if (m.content) {
        c.messages.push({ ...m, stats: { stopped: true } });
        store.save(c);
        if (store.currentId === c.id) showConversation(c);
      }
      if (store.currentId === c.id) showError(e);
      return;
    }
  }
  const ended = performance.now();
  const usage = result && result.usage;
  const timings = result && result.timings;
  const tokens = usage ? usage.completion_tokens : timings ? timings.predicted_n : chunks;
  const stats = {
    tokens,
    ttftMs: firstAt == null ? null : firstAt - started,
    promptTokens: usage ? usage.prompt_tokens : timings ? timings.prompt_n + (timings.cache_n || 0) : null,
    tokensPerSecond: timings && timings.predicted_per_second ? timings.predicted_per_second
      : firstAt != null && ended > firstAt && tokens > 1 ? (tokens - 1) * 1000 / (ended - firstAt) : null,
    finishReason: result && result.finishReason,
    stopped,
  };
  if (!m.reasoning) delete m.reasoning;
  c.messages.push({ ...m, stats });
  store.save(c);
  running = null;
  setRunning(false);
  if (store.currentId === c.id) showConversation(c); // the user may have opened another one meanwhile
  renderSidebar();
}

function stop() {
  if (running) running.controller.abort();
}

function setRunning(on) {
  $('send').hidden = on;
  $('stop').hidden = !on;
  $('status').textContent = on ? 'Generating…' : '';
  document.body.classList.toggle('running', on);
}

// ---- errors ----

function showError(e) {
  const box = $('error');
  let text;
  if (e instanceof ApiFailure) {
    switch (e.kind) {
      case 'unreachable': text = e.message; break;
      case 'busy':
        text = 'Server busy (' + e.status + '): ' + sentence(e.message)
          + (e.retryAfter != null ? ' Try again in ' + e.retryAfter + ' s.' : ' Try again shortly.');
        break;
      case 'too_long': text = 'Too long for the model: ' + sentence(e.message)
        + ' Start a new chat or edit an earlier message.'; break;
      case 'unauthorized': text = 'The server wants an API key: ' + sentence(e.message) + ' Set it in Settings.'; break;
      case 'no_model': text = 'No model is loaded: ' + sentence(e.message); showPullPanel(api, loadModels); break;
      default: text = 'Error' + (e.status ? ' ' + e.status : '') + ': ' + e.message;
    }
  } else {
    text = 'Error: ' + (e && e.message ? e.message : e);
  }
  box.textContent = text;
  box.dataset.kind = e.kind || 'error';
  box.hidden = false;
}

function sentence(text) {
  return /[.!?]$/.test(text) ? text : text + '.';
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

// ---- settings and models ----

function openSettings() {
  const form = $('settings-form');
  const s = store.settings();
  for (const el of form.elements) {
    if (!el.name) continue;
    el.value = s[el.name] ?? '';
    if (serverDefaults[el.name] != null) el.placeholder = String(serverDefaults[el.name]);
  }
  $('settings').showModal();
}

function closeSettings() {
  const dialog = $('settings');
  const form = $('settings-form');
  if (dialog.returnValue === 'save') {
    const s = { model: store.settings().model };
    for (const el of form.elements) if (el.name && el.value !== '') s[el.name] = el.value;
    store.saveSettings(s);
  } else if (dialog.returnValue === 'reset') {
    store.saveSettings({ model: store.settings().model });
  }
  loadModels();
}

export async function loadModels() {
  const select = $('model');
  try {
    const models = await api.models();
    const previous = select.value || store.settings().model;
    select.replaceChildren(...models.map(id => new Option(id, id)));
    select.hidden = models.length === 0;
    document.body.classList.toggle('no-model', models.length === 0);
    if (models.includes(previous)) select.value = previous;
    if (models.length === 0) {
      if ($('pull-panel').hidden) showPullPanel(api, loadModels); // kept as it is while a pull reports there
    } else {
      hidePullPanel();
      serverDefaults = await api.defaults();
    }
  } catch (e) {
    showError(e);
  }
}

// ---- the composer ----

function autosize() {
  const area = $('prompt');
  area.style.height = 'auto';
  area.style.height = Math.min(area.scrollHeight, 240) + 'px';
  area.style.overflowY = area.scrollHeight > 240 ? 'auto' : 'hidden';
}

function wire() {
  $('composer').addEventListener('submit', e => {
    e.preventDefault();
    send();
  });
  $('prompt').addEventListener('keydown', e => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
  $('prompt').addEventListener('input', autosize);
  $('stop').addEventListener('click', stop);
  document.addEventListener('keydown', e => {
    if (e.key === 'Escape' && running) stop();
  });
  $('new-chat').addEventListener('click', () => {
    if (running) stop();
    store.select(null);
    showConversation(null);
    renderSidebar();
    document.body.classList.remove('sidebar-open');
    $('prompt').focus();
  });
  $('search').addEventListener('input', renderSidebar);
  $('toggle-sidebar').addEventListener('click', () => document.body.classList.toggle('sidebar-open'));
  $('open-settings').addEventListener('click', openSettings);
  $('settings').addEventListener('close', closeSettings);
  $('model').addEventListener('change', () => {
    store.saveSettings({ ...store.settings(), model: $('model').value });
  });
  $('export').addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([store.exportJson()], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'hearth-conversations-' + new Date().toISOString().slice(0, 10) + '.json';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  $('import').addEventListener('change', async e => {
    const file = e.target.files[0];
    if (!file) return;
    try {
      const n = store.importJson(await file.text());
      renderSidebar();
      $('status').textContent = 'Imported ' + n + ' conversation' + (n === 1 ? '' : 's');
    } catch (err) {
      showError(new Error('cannot import ' + file.name + ': ' + err.message));
    }
    e.target.value = '';
  });
}

storage.onFull = showError;
wire();
renderSidebar();
showConversation(store.current());
loadModels();
document.body.dataset.ready = 'true';
