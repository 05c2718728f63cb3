// The composer: text, media upload, reply-to, templates, and WhatsApp's 24-hour window. It
// sends through the send actions, exactly as an API client would.

import { call } from './api.js';
import { fullTime, summary } from './render.js';

const WINDOW_MS = 24 * 60 * 60 * 1000;
const $ = (id) => document.getElementById(id);

/** The customer-service window of a conversation: open until when, or closed. */
export function windowOf(conversation, now = Date.now()) {
  const last = Date.parse(conversation?.lastInboundAt ?? '');
  if (Number.isNaN(last)) return { open: false, until: null };
  const until = last + WINDOW_MS;
  return { open: until > now, until: new Date(until).toISOString() };
}

/** Who a send goes to: the phone number when known, else the BSUID. */
function recipientOf(c) {
  return c.waId ? { to: `+${c.waId}` } : { recipient: c.userId || c.customerId };
}

function sendActionFor(mime) {
  if (mime === 'image/webp') return 'send_sticker';
  if (/^image\/(jpeg|png)$/.test(mime)) return 'send_image';
  if (mime.startsWith('video/')) return 'send_video';
  if (mime.startsWith('audio/')) return 'send_audio';
  return 'send_document';
}

/** WhatsApp's largest file for each kind of send (Meta's supported media types). */
const MAX_BYTES = {
  send_image: 5 * 1024 * 1024,
  send_video: 16 * 1024 * 1024,
  send_audio: 16 * 1024 * 1024,
  send_sticker: 500 * 1024,
  send_document: 100 * 1024 * 1024,
};

function sizeText(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

function base64Of(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export function setupComposer({ current, onSent }) {
  const form = $('composer');
  const text = $('text');
  const error = $('composer-error');
  let replyTo = null;
  let file = null;
  let templates = null;
  let lastOpen = null;

  const fail = (e) => { error.textContent = e.message || String(e); };
  const busy = (on) => { form.toggleAttribute('aria-busy', on); $('send').disabled = on; $('template-send').disabled = on; };

  function setReply(message) {
    replyTo = message?.waMessageId ?? null;
    $('reply-bar').hidden = !replyTo;
    $('reply-text').textContent = replyTo ? summary(message) : '';
    if (replyTo) text.focus();
  }

  function setFile(chosen) {
    file = chosen || null;
    $('file-bar').hidden = !file;
    $('file-name').textContent = file ? `${file.name} (${Math.ceil(file.size / 1024)} KB)` : '';
    if (!file) $('file').value = '';
  }

  function showWindow() {
    const c = current().conversation;
    if (!c) return;
    const w = windowOf(c);
    const line = $('window');
    line.dataset.open = String(w.open);
    line.textContent = w.open
      ? `Customer-service window open until ${fullTime(w.until)}`
      : 'The 24-hour window is closed: WhatsApp only delivers templates until the customer writes again.';
    $('free-form').hidden = !w.open;
    // Templates are the only way while the window is closed; folded away while it is open.
    if (w.open !== lastOpen) $('template').open = !w.open;
    lastOpen = w.open;
  }

  async function send(action, params) {
    const c = current().conversation;
    error.textContent = '';
    busy(true);
    try {
      const sent = await call(action, {
        phoneNumberId: c.phoneNumberId,
        ...recipientOf(c),
        ...(replyTo ? { replyTo } : {}),
        ...params,
      });
      setReply(null);
      onSent(sent);
      return sent;
    } finally {
      busy(false);
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = text.value.trim();
    try {
      if (file) {
        const mime = file.type || 'application/octet-stream';
        const limit = MAX_BYTES[sendActionFor(mime)];
        if (file.size > limit) {
          throw new Error(`${file.name} is ${sizeText(file.size)}; WhatsApp takes at most ${sizeText(limit)} for this kind of file.`);
        }
        const uploaded = await call('upload_media', {
          data: await base64Of(file), filename: file.name, mimeType: mime,
          phoneNumberId: current().conversation.phoneNumberId,
        });
        const action = sendActionFor(mime);
        // The key keeps the stored copy on the message, so the thread can show it.
        const params = { mediaId: uploaded.mediaId, s3Key: uploaded.key };
        if (body && ['send_image', 'send_video', 'send_document'].includes(action)) params.caption = body;
        if (action === 'send_document') params.filename = file.name;
        await send(action, params);
        setFile(null);
      } else if (body) {
        await send('send_text', { text: body });
      } else {
        return;
      }
      text.value = '';
      text.focus();
    } catch (e) {
      fail(e);
    }
  });
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  $('reply-cancel').addEventListener('click', () => setReply(null));
  $('file').addEventListener('change', (e) => setFile(e.target.files[0]));
  $('file-cancel').addEventListener('click', () => setFile(null));
  $('template-select').addEventListener('change', (e) => {
    const t = templates?.[Number(e.target.value)];
    if (!t) return;
    $('template-name').value = t.name;
    $('template-language').value = t.language || 'en_US';
    const count = (JSON.stringify(t.components || t.body || '').match(/\{\{\d+\}\}/g) || []).length;
    $('template-params').placeholder = count ? `${count} parameter${count > 1 ? 's' : ''}, one a line` : 'No parameters';
  });
  $('template-send').addEventListener('click', async () => {
    const name = $('template-name').value.trim();
    if (!name) { fail(new Error('Name the template to send.')); return; }
    const body = $('template-params').value.split('\n').map((s) => s.trim()).filter(Boolean);
    try {
      await send('send_template', { name, language: $('template-language').value.trim() || 'en_US', body });
      $('template-params').value = '';
    } catch (e) {
      fail(e);
    }
  });

  /** Fills the template picker when the registry has an action listing templates. */
  async function loadTemplates(actions, phoneNumberId) {
    const lister = ['get_templates', 'list_templates'].find((a) => actions.has(a));
    $('template-pick').hidden = !lister;
    if (!lister) return;
    try {
      const data = await call(lister, { phoneNumberId });
      templates = (data.templates || data.items || []).filter((t) => !t.status || /approved/i.test(t.status));
      $('template-select').replaceChildren(new Option('Choose…', ''),
        ...templates.map((t, i) => new Option(`${t.name} (${t.language || ''})`, String(i))));
    } catch {
      $('template-pick').hidden = true;
    }
  }

  return {
    show() {
      lastOpen = null;
      form.hidden = false;
      error.textContent = '';
      setReply(null);
      setFile(null);
      showWindow();
    },
    refresh: showWindow,
    setReply,
    loadTemplates,
  };
}
