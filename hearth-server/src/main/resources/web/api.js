// The HTTP calls the page makes: the same OpenAI-style API any client uses, plus llama.cpp's /props.

/** A request that failed: kind is 'unreachable', 'busy', 'too_long', 'unauthorized', 'no_model' or 'http'. */
export class ApiFailure extends Error {
  constructor(kind, message, status = 0, retryAfter = null) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export class Api {
  /** apiKey: a function returning the key the user typed (or ''). */
  constructor(apiKey) {
    this.apiKey = apiKey;
  }

  headers(json) {
    const h = {};
    if (json) h['Content-Type'] = 'application/json';
    const key = this.apiKey();
    if (key) h['Authorization'] = 'Bearer ' + key;
    return h;
  }

  async request(method, path, body, signal) {
    let response;
    try {
      response = await fetch(path, {
        method, signal, headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiFailure('unreachable', 'Cannot reach the Hearth server at ' + location.origin
        + '. Is it running?');
    }
    if (!response.ok) throw await failure(response);
    return response;
  }

  async json(path) {
    return (await this.request('GET', path)).json();
  }

  /** The served models' ids. */
  async models() {
    const list = await this.json('/v1/models');
    return (list.data || []).map(m => m.id);
  }

  /** The server's default sampling settings (llama.cpp's /props), or {} when unavailable. */
  async defaults() {
    try {
      const props = await this.json('/props');
      const p = (props.default_generation_settings || {}).params || {};
      return { temperature: p.temperature, top_p: p.top_p, top_k: p.top_k, min_p: p.min_p,
        n_ctx: props.n_ctx };
    } catch {
      return {};
    }
  }

  /**
   * Streams a chat completion. onDelta({content, reasoning}) is called per chunk; resolves with
   * {usage, timings, finishReason} at the end of the stream. Aborting signal stops the request (the server then
   * cancels the generation).
   */
  async streamChat(body, onDelta, signal) {
    const response = await this.request('POST', '/v1/chat/completions',
      { ...body, stream: true, stream_options: { include_usage: true } }, signal);
    const result = { usage: null, timings: null, finishReason: null };
    for await (const data of sseEvents(response.body, signal)) {
      if (data === '[DONE]') break;
      const chunk = JSON.parse(data);
      if (chunk.error) throw streamError(chunk.error);
      if (chunk.usage) result.usage = chunk.usage;
      if (chunk.timings) result.timings = chunk.timings;
      const choice = (chunk.choices || [])[0];
      if (!choice) continue;
      const delta = choice.delta || {};
      if (delta.content || delta.reasoning_content) {
        onDelta({ content: delta.content || '', reasoning: delta.reasoning_content || '' });
      }
      if (choice.finish_reason) result.finishReason = choice.finish_reason;
    }
    return result;
  }

  /** The pullable models (GET /api/hearth/catalog), or null when this server cannot pull. */
  async catalog() {
    try {
      return await this.json('/api/hearth/catalog');
    } catch (e) {
      if (e.status === 404 || e.status === 405 || e.status === 501) return null;
      throw e;
    }
  }

  /** Ollama's POST /api/pull; onProgress gets each NDJSON line ({status, total, completed}). */
  async pull(name, onProgress, signal) {
    const response = await this.request('POST', '/api/pull', { model: name, stream: true }, signal);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (value) buffer += value;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const p = JSON.parse(line);
        if (p.error) throw new ApiFailure('http', p.error);
        onProgress(p);
      }
      if (done) break;
    }
  }
}

/** The data fields of a server-sent event stream, one string per event. */
async function* sseEvents(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const onAbort = () => reader.cancel().catch(() => {});
  signal && signal.addEventListener('abort', onAbort);
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (signal && signal.aborted) throw new DOMException('stopped', 'AbortError');
      if (value) buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split('\n').filter(l => l.startsWith('data:'))
          .map(l => l.slice(5).replace(/^ /, '')).join('\n');
        if (data) yield data;
      }
      if (done) return;
    }
  } finally {
    signal && signal.removeEventListener('abort', onAbort);
  }
}

/** The failure an error answer stands for, with the server's own message. */
async function failure(response) {
  let message = response.statusText || 'HTTP ' + response.status;
  let code = null;
  try {
    const body = await response.json();
    const e = body.error;
    message = typeof e === 'string' ? e : (e && e.message) || body.message || message;
    code = e && e.code;
  } catch { /* not JSON: keep the status text */ }
  const status = response.status;
  // "no model loaded": the model-pulling contract; "no model was given": a server started without -m
  if (/no model (loaded|was given)/i.test(message) || code === 'no_model') return new ApiFailure('no_model', message, status);
  if (status === 429 || status === 503) {
    const retry = response.headers.get('Retry-After');
    return new ApiFailure('busy', message, status, retry == null ? null : Number(retry));
  }
  if (status === 401 || status === 403) return new ApiFailure('unauthorized', message, status);
  if (code === 'context_length_exceeded') return new ApiFailure('too_long', message, status);
  return new ApiFailure('http', message, status);
}

function streamError(e) {
  const message = typeof e === 'string' ? e : e.message || JSON.stringify(e);
  return new ApiFailure(/no model loaded/i.test(message) ? 'no_model' : 'http', message);
}
