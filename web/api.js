// The page's only ways to the server: actions (POST /, as any API client) and the live stream
// (GET /live locally, the WebSocket API when deployed). With a token (SERVE_TOKEN locally, the
// JWT the HTTP API accepts when deployed), requests carry `Authorization: Bearer <token>`; the
// token is kept in this tab's sessionStorage, given once in the URL's fragment (#token=...,
// or #access_token=... / #id_token=... as an OAuth sign-in redirect leaves it) or typed into
// the prompt.

const TOKEN_KEY = 'whatsapp-lambda.serve-token';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Moves a token given in the URL's fragment into sessionStorage and out of the address bar. */
export function takeTokenFromUrl() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token') || params.get('access_token') || params.get('id_token');
  if (token) {
    setToken(token);
    history.replaceState(null, '', location.pathname);
  }
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(json) {
  const h = {};
  if (json) h['content-type'] = 'application/json';
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) h.authorization = `Bearer ${token}`;
  return h;
}

/** Runs one action; resolves to its `data`, rejects with an ApiError naming what went wrong. */
export async function call(action, params = {}) {
  let response;
  try {
    response = await fetch('/', {
      method: 'POST',
      headers: headers(true),
      body: JSON.stringify({ action, ...params }),
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, `the server does not answer (${e.message})`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = { error: response.statusText };
  }
  const status = body && Number.isInteger(body.statusCode) ? body.statusCode : response.status;
  if (!response.ok || status >= 300) {
    // API Gateway answers its own refusals as {"message": ...}.
    let message = (body && (body.error || body.message)) || `HTTP ${response.status}`;
    if (response.status === 413) {
      message = `the request is larger than this server takes (${message}); send a smaller file`;
    }
    throw new ApiError(response.status, message);
  }
  return body.data;
}

/**
 * Follows live updates: the WebSocket API when deployed, else GET /live (Server-Sent Events,
 * read with fetch so that it can carry the token).
 * `onChange(note)` for each change; `onState('live' | 'offline' | 'auth')`. Reconnects with
 * a growing delay; after a reconnection `onChange({source: 'reconnected'})`, since changes may
 * have been missed meanwhile.
 */
export function follow(onChange, onState) {
  // Deployed, live updates come over the WebSocket API, opened with a one-time ticket from
  // create_live_ticket; locally (`serve`, no LIVE_SOCKET_URL) that action answers 404 and the
  // page reads GET /live instead.
  call('create_live_ticket')
    .then((ticket) => followSocket(ticket.url, onChange, onState))
    .catch((e) => {
      if (e.status === 401 || e.status === 403) onState('auth');
      else followEvents(onChange, onState);
    });
}

/** Follows the WebSocket API; each message is a change note. Reconnects with a new ticket. */
function followSocket(url, onChange, onState) {
  let delay = 500;
  let connectedBefore = false;
  function open(url) {
    const socket = new WebSocket(url);
    socket.onopen = () => {
      onState('live');
      delay = 500;
      if (connectedBefore) onChange({ source: 'reconnected' });
      connectedBefore = true;
    };
    socket.onmessage = (event) => {
      let note = {};
      try {
        note = JSON.parse(event.data);
      } catch {
        /* a note is only a hint: refresh anyway */
      }
      onChange(note);
    };
    socket.onclose = () => {
      onState('offline');
      setTimeout(async () => {
        try {
          open((await call('create_live_ticket')).url);
        } catch {
          socket.onclose();
        }
      }, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  open(url);
}

/** Follows GET /live (Server-Sent Events). */
function followEvents(onChange, onState) {
  let delay = 500;
  let connectedBefore = false;
  async function connect() {
    try {
      const response = await fetch('/live', { headers: headers(false), cache: 'no-store' });
      if (response.status === 401) {
        onState('auth');
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseEvent(block);
          if (event.name === 'ready') {
            onState('live');
            delay = 500;
            if (connectedBefore) onChange({ source: 'reconnected' });
            connectedBefore = true;
          } else if (event.name === 'change') {
            let note = {};
            try {
              note = JSON.parse(event.data);
            } catch {
              /* a note is only a hint: refresh anyway */
            }
            onChange(note);
          }
        }
      }
    } catch {
      /* offline: retried below */
    }
    onState('offline');
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 10000);
  }
  connect();
}

function parseEvent(block) {
  const event = { name: 'message', data: '' };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event.name = value;
    else if (field === 'data') event.data += value;
  }
  return event;
}
