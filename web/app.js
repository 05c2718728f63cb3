// The inbox: business phones, conversations, one thread, and live updates from GET /live.

import { ApiError, call, follow, setToken, takeTokenFromUrl } from './api.js';
import { el, nameOf, numberOf, shortWhen, dayOf, fullTime } from './render.js';
import { messageView, domId } from './message.js';
import { setupComposer } from './composer.js';

const $ = (id) => document.getElementById(id);
const PAGE = 30;

const state = {
  phone: null,
  archived: false,
  channel: '',
  otherChannels: false,
  conversations: [],
  next: null,
  loading: false,
  search: '',
  conversation: null,
  messages: [],
  olderToken: null,
  actions: new Set(),
};

const composer = setupComposer({
  current: () => state,
  onSent: () => refreshThread(),
});

function showError(e) {
  if (e instanceof ApiError && e.status === 401) {
    askToken();
    return;
  }
  $('list-status').textContent = e.message || String(e);
}

function askToken() {
  const dialog = $('token-dialog');
  if (!dialog.open) dialog.showModal();
}

$('token-form').addEventListener('submit', () => {
  setToken($('token').value.trim());
  location.reload();
});

// ---- phones ---------------------------------------------------------------------------

async function loadPhones() {
  const data = await call('list_inbox_phones');
  const phones = data.phones || [];
  const select = $('phone');
  select.replaceChildren(...phones.map((p) => new Option(
    `${p.phoneNumberId}${p.default ? ' (default)' : ''}${p.hasConversations ? '' : ' · nothing yet'}`,
    p.phoneNumberId,
  )));
  $('phone-picker').hidden = phones.length < 2;
  const remembered = localStorage.getItem('whatsapp-lambda.phone');
  const chosen = phones.find((p) => p.phoneNumberId === remembered)
    || phones.find((p) => p.hasConversations) || phones[0];
  state.phone = chosen ? chosen.phoneNumberId : null;
  select.value = state.phone ?? '';
  if (!state.phone) $('list-status').textContent = 'Nothing has arrived yet: post a webhook to /events.';
}

$('phone').addEventListener('change', (e) => {
  state.phone = e.target.value;
  localStorage.setItem('whatsapp-lambda.phone', state.phone);
  closeThread();
  reloadList();
});

// ---- conversation list ------------------------------------------------------------------

async function fetchConversations(limit, nextToken) {
  return call('get_conversations', {
    phoneNumberId: state.phone, archived: state.archived, limit,
    ...(state.channel ? { channel: state.channel } : {}),
    ...(nextToken ? { nextToken } : {}),
  });
}

/** Reloads what the list shows (as many as are loaded, so a live update keeps the pages). */
async function reloadList() {
  if (!state.phone) return;
  const limit = Math.min(100, Math.max(PAGE, state.conversations.length));
  try {
    const data = await fetchConversations(limit);
    state.conversations = data.conversations;
    state.next = data.nextToken;
    renderList();
    const open = state.conversation && state.conversations.find((c) => c.pk === state.conversation.pk);
    if (open) {
      state.conversation = open;
      renderThreadHeader();
      composer.refresh();
    }
  } catch (e) {
    showError(e);
  }
}

async function loadMore() {
  if (!state.next || state.loading) return;
  state.loading = true;
  try {
    const data = await fetchConversations(PAGE, state.next);
    const known = new Set(state.conversations.map((c) => c.pk));
    state.conversations.push(...data.conversations.filter((c) => !known.has(c.pk)));
    state.next = data.nextToken;
    renderList();
  } catch (e) {
    showError(e);
  } finally {
    state.loading = false;
  }
}

function matches(c) {
  const q = state.search.trim().toLowerCase();
  if (!q) return true;
  const digits = q.replace(/[^0-9]/g, '');
  return (c.profileName || '').toLowerCase().includes(q)
    || (digits && (c.waId || '').includes(digits))
    || c.customerId.toLowerCase().includes(q);
}

const CHANNELS = { instagram: 'Instagram', messenger: 'Messenger' };

function renderList() {
  // The channel filter appears once a conversation on another channel than WhatsApp does.
  state.otherChannels ||= state.conversations.some((c) => CHANNELS[c.channel]);
  $('channel-picker').hidden = !state.otherChannels && !state.channel;
  const list = $('conversations');
  const shown = state.conversations.filter(matches);
  list.replaceChildren(...shown.map(conversationRow));
  const status = $('list-status');
  if (state.next) {
    status.textContent = 'Loading more…';
    if (state.search) loadMore();
  } else if (!shown.length) {
    status.textContent = state.search ? 'No conversation matches.' : (state.archived ? 'No archived conversations.' : 'No conversations yet.');
  } else {
    status.textContent = '';
  }
}

function conversationRow(c) {
  const selected = state.conversation?.pk === c.pk;
  const unread = c.unreadCount > 0;
  const button = el('button', {
    type: 'button',
    class: 'conversation',
    'aria-current': selected ? 'true' : false,
    dataset: { pk: c.pk },
    onclick: () => openConversation(c),
  },
  el('span', { class: 'avatar', 'aria-hidden': 'true' }, (nameOf(c)[0] || '?').toUpperCase()),
  el('span', { class: 'line1' },
    el('span', { class: 'name' }, nameOf(c)),
    CHANNELS[c.channel] && el('span', { class: 'channel' }, CHANNELS[c.channel]),
    el('time', { datetime: c.lastMessageAt, title: fullTime(c.lastMessageAt) }, shortWhen(c.lastMessageAt))),
  el('span', { class: 'line2' },
    el('span', { class: 'preview' }, c.lastMessageDirection === 'OUTBOUND' ? `You: ${c.lastMessagePreview ?? ''}` : (c.lastMessagePreview ?? '')),
    unread && el('span', { class: 'badge', 'aria-label': `${c.unreadCount} unread` }, String(c.unreadCount))));
  return el('li', {}, button);
}

for (const type of ['input', 'change', 'search']) {
  $('search').addEventListener(type, (e) => {
    if (state.search === e.target.value) return;
    state.search = e.target.value;
    renderList();
  });
}
for (const [id, archived] of [['show-open', false], ['show-archived', true]]) {
  $(id).addEventListener('click', () => {
    state.archived = archived;
    $('show-open').setAttribute('aria-pressed', String(!archived));
    $('show-archived').setAttribute('aria-pressed', String(archived));
    state.conversations = [];
    reloadList();
  });
}
$('channel').addEventListener('change', (e) => {
  state.channel = e.target.value;
  state.conversations = [];
  reloadList();
});
new IntersectionObserver((entries) => {
  if (entries.some((e) => e.isIntersecting)) loadMore();
}).observe($('list-status'));

// ---- thread -------------------------------------------------------------------------------

function ref() {
  return { conversationPk: state.conversation.pk };
}

async function openConversation(c) {
  state.conversation = c;
  state.messages = [];
  state.olderToken = null;
  $('app').dataset.view = 'thread';
  $('empty').hidden = true;
  $('messages').hidden = false;
  renderThreadHeader();
  composer.show();
  renderList();
  await refreshThread({ scroll: true });
  $('thread').focus({ preventScroll: true });
}

function closeThread() {
  state.conversation = null;
  state.messages = [];
  $('app').dataset.view = 'list';
  $('messages').replaceChildren();
  $('messages').hidden = true;
  $('composer').hidden = true;
  $('archive').hidden = true;
  $('empty').hidden = false;
  $('thread-title').textContent = 'No conversation open';
  $('thread-sub').textContent = '';
}

function renderThreadHeader() {
  const c = state.conversation;
  $('thread-title').textContent = nameOf(c);
  $('thread-sub').textContent = [numberOf(c), c.userId && `BSUID ${c.userId}`].filter(Boolean).join(' · ');
  $('archive').hidden = false;
  $('archive').textContent = c.archived ? 'Unarchive' : 'Archive';
}

/** Reloads the newest messages (as many as are shown), and marks them read. */
async function refreshThread({ scroll = false } = {}) {
  const c = state.conversation;
  if (!c) return;
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  try {
    const limit = Math.min(100, Math.max(50, state.messages.length));
    const data = await call('get_messages', { ...ref(), limit });
    if (state.conversation?.pk !== c.pk) return;
    state.messages = data.messages.slice().reverse();
    state.olderToken = data.nextToken;
    renderMessages();
    if (scroll || atBottom) list.scrollTop = list.scrollHeight;
    if (c.unreadCount > 0 && document.visibilityState === 'visible') {
      const read = await call('mark_conversation_read', ref());
      if (state.conversation?.pk === c.pk) state.conversation = { ...c, ...read };
      reloadList();
    }
  } catch (e) {
    showError(e);
  }
}

async function loadOlder() {
  if (!state.olderToken || state.loading || !state.conversation) return;
  state.loading = true;
  const list = $('messages');
  const before = list.scrollHeight;
  try {
    const data = await call('get_messages', { ...ref(), limit: 50, nextToken: state.olderToken });
    state.messages = data.messages.slice().reverse().concat(state.messages);
    state.olderToken = data.nextToken;
    renderMessages();
    list.scrollTop += list.scrollHeight - before;
  } catch (e) {
    showError(e);
  } finally {
    state.loading = false;
  }
}

const messageCtx = {
  byId: (id) => state.messages.find((m) => m.waMessageId === id),
  onReply: (m) => composer.setReply(m),
  onQuote: (id) => {
    const target = document.getElementById(domId(id));
    if (target) {
      target.scrollIntoView({ block: 'center' });
      target.classList.add('flash');
      setTimeout(() => target.classList.remove('flash'), 1200);
    }
  },
  mediaUrl: (m) => call('get_media_url', { waMessageId: m.waMessageId }),
};

function renderMessages() {
  const items = [];
  if (state.olderToken) items.push(el('li', { class: 'older' }, el('button', { type: 'button', class: 'secondary', onclick: loadOlder }, 'Load earlier messages')));
  let day = '';
  for (const m of state.messages) {
    const d = dayOf(m.receivedAt || m.createdAt);
    if (d !== day) {
      day = d;
      items.push(el('li', { class: 'day', role: 'separator' }, d));
    }
    items.push(messageView(m, messageCtx));
  }
  $('messages').replaceChildren(...items);
}

$('messages').addEventListener('scroll', (e) => { if (e.target.scrollTop < 40) loadOlder(); });
$('back').addEventListener('click', () => { $('app').dataset.view = 'list'; });
$('archive').addEventListener('click', async () => {
  const c = state.conversation;
  try {
    await call('archive_conversation', { ...ref(), archived: !c.archived });
    closeThread();
    reloadList();
  } catch (e) {
    showError(e);
  }
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && $('app').dataset.view === 'thread' && !$('token-dialog').open) {
    $('app').dataset.view = 'list';
    document.querySelector('.conversation[aria-current="true"]')?.focus();
  }
});

// ---- live updates --------------------------------------------------------------------------

let pending = null;
function onChange() {
  // Changes arrive in bursts (a send, then its statuses): one reload for each burst.
  if (pending) return;
  pending = setTimeout(async () => {
    pending = null;
    // The list first: it brings the open conversation's unread count, which the thread marks read.
    await reloadList();
    await refreshThread();
  }, 100);
}

function onLiveState(s) {
  const badge = $('live');
  badge.dataset.state = s;
  badge.textContent = { live: 'Live', offline: 'Reconnecting…', auth: 'Token needed' }[s] || s;
  if (s === 'auth') askToken();
}

// ---- start ----------------------------------------------------------------------------------

async function start() {
  takeTokenFromUrl();
  try {
    const listed = await call('list_actions');
    state.actions = new Set(Object.values(listed.scopes || {}).flat());
    await loadPhones();
    await reloadList();
    composer.loadTemplates(state.actions, state.phone);
  } catch (e) {
    showError(e);
  }
  follow(onChange, onLiveState);
}

start();
