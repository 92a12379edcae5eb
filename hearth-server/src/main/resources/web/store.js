// Conversations and settings, kept in the browser's localStorage (nothing is stored on the server).

const CONVERSATIONS = 'hearth.conversations';
const CURRENT = 'hearth.current';
const SETTINGS = 'hearth.settings';

function read(key, fallback) {
  try {
    const text = localStorage.getItem(key);
    return text == null ? fallback : JSON.parse(text);
  } catch {
    return fallback;
  }
}

/** Called when the browser refuses to store more (its quota for this site is full). */
export const storage = { onFull: error => console.error(error) };

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch (e) {
    storage.onFull(new Error('the browser\'s storage for this page is full (' + e.name
      + '): export your conversations and delete old ones'));
  }
}

function newId() {
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
}

/** A conversation: {id, title, created, updated, messages: [{role, content, reasoning?, stats?}]}. */
export class Store {
  constructor() {
    this.conversations = read(CONVERSATIONS, []).filter(valid);
    this.currentId = read(CURRENT, null);
  }

  /** Newest first. */
  list(query) {
    const q = (query || '').trim().toLowerCase();
    return [...this.conversations]
      .sort((a, b) => b.updated - a.updated)
      .filter(c => !q || c.title.toLowerCase().includes(q)
        || c.messages.some(m => (m.content || '').toLowerCase().includes(q)));
  }

  get(id) {
    return this.conversations.find(c => c.id === id) || null;
  }

  current() {
    return this.get(this.currentId);
  }

  select(id) {
    this.currentId = id;
    write(CURRENT, id);
  }

  create() {
    const now = Date.now();
    const c = { id: newId(), title: 'New chat', created: now, updated: now, messages: [] };
    this.conversations.push(c);
    this.select(c.id);
    this.save(c);
    return c;
  }

  /** Stores a changed conversation (the object itself is kept in memory). */
  save(c) {
    if (c) c.updated = Date.now();
    write(CONVERSATIONS, this.conversations);
  }

  rename(id, title) {
    const c = this.get(id);
    if (!c || !title.trim()) return;
    c.title = title.trim();
    c.named = true;
    this.save(c);
  }

  remove(id) {
    this.conversations = this.conversations.filter(c => c.id !== id);
    if (this.currentId === id) this.select(null);
    write(CONVERSATIONS, this.conversations);
  }

  exportJson() {
    return JSON.stringify({ format: 'hearth-conversations', version: 1, conversations: this.conversations }, null, 2);
  }

  /** Adds the conversations of an export (or a bare array of them); ones already here (same id) are replaced. */
  importJson(text) {
    const data = JSON.parse(text);
    const list = Array.isArray(data) ? data : data && data.conversations;
    if (!Array.isArray(list)) throw new Error('not a conversations export: expected {"conversations": [...]}');
    const good = list.filter(valid);
    if (good.length === 0) throw new Error('the file holds no conversations');
    for (const c of good) {
      this.conversations = this.conversations.filter(x => x.id !== c.id);
      this.conversations.push(c);
    }
    write(CONVERSATIONS, this.conversations);
    return good.length;
  }

  settings() {
    return read(SETTINGS, {});
  }

  saveSettings(s) {
    write(SETTINGS, s);
  }
}

function valid(c) {
  return c && typeof c.id === 'string' && typeof c.title === 'string' && Array.isArray(c.messages)
    && c.messages.every(m => m && typeof m.role === 'string' && typeof m.content === 'string')
    && (typeof c.updated === 'number' || (c.updated = Date.now()));
}
