// Building the page's DOM. Every stored string reaches the page as a text node or an attribute
// set through the DOM: nothing untrusted is ever parsed as HTML.

/** `el('p', {class: 'x'}, 'text', child)`: an element; strings become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// WhatsApp's formatting: ```monospace```, `inline code`, *bold*, _italic_, ~strike~; and
// http(s) links. A marker counts only at word edges, as WhatsApp reads them.
const EDGE_BEFORE = String.raw`(?<=^|[\s\p{P}\p{S}])`;
const EDGE_AFTER = String.raw`(?=$|[\s\p{P}\p{S}])`;
const RULES = [
  { re: /```([\s\S]+?)```/u, make: (m) => el('code', { class: 'mono' }, m[1]) },
  { re: /`([^`\n]+)`/u, make: (m) => el('code', {}, m[1]) },
  { re: /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'}]/u, make: (m) => link(m[0]) },
  ...[
    ['\\*', 'strong'],
    ['_', 'em'],
    ['~', 's'],
  ].map(([mark, tag]) => ({
    re: new RegExp(`${EDGE_BEFORE}${mark}(\\S(?:[^\\n]*?\\S)?)${mark}${EDGE_AFTER}`, 'u'),
    make: (m) => el(tag, {}, formatText(m[1])),
  })),
];

/** A message text with WhatsApp's formatting, as a fragment of text nodes and elements. */
export function formatText(text) {
  const fragment = document.createDocumentFragment();
  let rest = String(text ?? '');
  while (rest) {
    let best = null;
    for (const rule of RULES) {
      const m = rule.re.exec(rest);
      if (m && (!best || m.index < best.m.index)) best = { m, rule };
    }
    if (!best) {
      fragment.append(rest);
      break;
    }
    fragment.append(rest.slice(0, best.m.index), best.rule.make(best.m));
    rest = rest.slice(best.m.index + best.m[0].length);
  }
  return fragment;
}

/** A link that opens elsewhere, only for http(s) addresses. */
export function link(href, text = href) {
  if (!/^https?:\/\//i.test(String(href))) return document.createTextNode(String(text));
  return el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, text);
}

const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const DATE = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const FULL = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function timeOf(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : TIME.format(d);
}
export function dayOf(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : DATE.format(d);
}
export function fullTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso ?? '') : FULL.format(d);
}
/** Today's times as 14:05, older ones as a date. */
export function shortWhen(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toDateString() === new Date().toDateString() ? TIME.format(d) : DATE.format(d);
}

/** A conversation's name: the profile name, else the number, else the BSUID. */
export function nameOf(conversation) {
  return conversation.profileName || numberOf(conversation) || conversation.customerId;
}
export function numberOf(conversation) {
  return conversation.waId ? `+${conversation.waId}` : '';
}

/** One line saying what a message is, for quotes and the reply bar. */
export function summary(message) {
  if (!message) return 'a message not shown in this thread';
  if (message.deletedAt) return 'This message was deleted';
  const kind = message.type || 'message';
  const text = message.text
    || message.interactive?.title
    || message.button?.text
    || message.raw?.template?.name && `Template ${message.raw.template.name}`
    || message.raw?.interactive?.body?.text
    || message.media?.filename;
  const label = { text: '', image: '📷 Photo', video: '🎥 Video', audio: '🎤 Audio', document: '📄 Document',
    sticker: 'Sticker', location: '📍 Location', contacts: '👤 Contact', order: '🛒 Order' }[kind];
  return [label, text].filter(Boolean).join(': ') || `[${kind}]`;
}
