// One stored message as a bubble: every kind the product stores, the quote it replies to,
// edits, deletion, reactions and, for the business's own messages, the delivery ticks.

import { el, formatText, link, timeOf, fullTime, summary } from './render.js';

const TICKS = {
  accepted: ['🕓', 'Accepted, waiting to be sent'],
  sent: ['✓', 'Sent'],
  delivered: ['✓✓', 'Delivered'],
  read: ['✓✓', 'Read'],
  played: ['✓✓', 'Played'],
  failed: ['⚠', 'Failed'],
};

/**
 * The bubble of `m`. `ctx` gives `byId(wamid)` (a loaded message), `onReply(m)`,
 * `onQuote(wamid)` and `mediaUrl(m)` (a promise of get_media_url's answer, `{url, key}`).
 */
export function messageView(m, ctx) {
  const outbound = m.direction === 'OUTBOUND';
  // A status can arrive for a message this store never saw sent (from another tool): only
  // its status is known.
  const kind = m.type || (m.direction === 'OUTBOUND' ? 'status-only' : 'unknown');
  const classes = ['msg', outbound ? 'out' : 'in', `kind-${kind.replace(/[^a-z_-]/gi, '')}`];
  if (kind === 'system') classes.push('system');
  const item = el('li', {
    class: classes.join(' '),
    id: domId(m.waMessageId),
    dataset: { id: m.waMessageId, kind, status: m.status || '' },
  });
  const bubble = el('div', { class: 'bubble' });
  item.append(bubble);
  if (m.context?.forwarded || m.context?.frequently_forwarded || m.context?.frequentlyForwarded) {
    const many = m.context.frequently_forwarded || m.context.frequentlyForwarded;
    bubble.append(el('p', { class: 'forwarded' }, many ? '↪↪ Forwarded many times' : '↪ Forwarded'));
  }
  if (m.context?.id) bubble.append(quote(m.context, ctx));
  if (m.referral) bubble.append(referral(m.referral));
  if (m.deletedAt) {
    bubble.append(el('p', { class: 'deleted' }, '🚫 This message was deleted'));
  } else {
    bubble.append(...body(m, kind, ctx));
    if (m.edits?.length) bubble.append(edits(m.edits));
  }
  bubble.append(meta(m, outbound));
  if (outbound && m.status === 'failed' && m.error) bubble.append(failure(m.error));
  const reactions = reactionsOf(m);
  if (reactions.length) {
    item.append(el('ul', { class: 'reactions', 'aria-label': 'Reactions' },
      reactions.map(([who, r]) => el('li', { title: `${who}${r.at ? ` · ${fullTime(r.at)}` : ''}` }, r.emoji))));
  }
  if (!m.deletedAt && kind !== 'system' && kind !== 'reaction') {
    item.append(el('button', {
      class: 'reply-button',
      type: 'button',
      'aria-label': `Reply to: ${summary(m)}`,
      onclick: () => ctx.onReply(m),
    }, '↩ Reply'));
  }
  return item;
}

export function domId(wamid) {
  return `m-${String(wamid).replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function reactionsOf(m) {
  if (!m.reactions || typeof m.reactions !== 'object') return [];
  return Object.entries(m.reactions).filter(([, r]) => r && r.emoji);
}

function quote(context, ctx) {
  const quoted = ctx.byId(context.id);
  const who = quoted ? (quoted.direction === 'OUTBOUND' ? 'You' : 'Customer') : 'Quoted';
  return el('button', {
    type: 'button',
    class: 'quote',
    'aria-label': `Replying to: ${summary(quoted)}. Show it`,
    onclick: () => ctx.onQuote(context.id),
  }, el('strong', {}, who), el('span', {}, summary(quoted)));
}

function referral(r) {
  return el('div', { class: 'card referral' },
    el('p', { class: 'label' }, `From an ad${r.source_type ? ` (${r.source_type})` : ''}`),
    r.headline && el('strong', {}, r.headline),
    r.body && el('p', {}, r.body),
    r.source_url && link(r.source_url, 'Open the ad'));
}

function edits(list) {
  return el('details', { class: 'edits' },
    el('summary', {}, `Earlier versions (${list.length})`),
    el('ol', {}, list.map((e) => el('li', {}, formatText(e.text ?? ''), ' ',
      el('time', { datetime: e.editedAt }, e.editedAt ? fullTime(e.editedAt) : '')))));
}

function meta(m, outbound) {
  const at = m.receivedAt || m.createdAt;
  const line = el('p', { class: 'meta' });
  if (m.editedAt) line.append(el('span', { class: 'edited', title: fullTime(m.editedAt) }, 'edited'), ' ');
  line.append(el('time', { datetime: at, title: fullTime(at) }, timeOf(at)));
  if (outbound) {
    const [mark, label] = TICKS[m.status] || ['', m.status || ''];
    line.append(' ', el('span', {
      class: `tick tick-${m.status}`,
      role: 'img',
      'aria-label': label,
      title: label,
      dataset: { status: m.status || '' },
    }, mark));
  }
  return line;
}

function failure(error) {
  const title = error.title || error.message || 'Not delivered';
  return el('p', { class: 'failure', role: 'note' },
    el('strong', {}, `Not delivered: ${title}`),
    error.code ? ` (error ${error.code})` : '',
    error.details ? el('span', { class: 'details' }, error.details) : '');
}

function body(m, kind, ctx) {
  switch (kind) {
    case 'text':
      return [el('p', { class: 'text' }, formatText(m.text ?? m.raw?.text?.body ?? ''))];
    case 'image': case 'video': case 'audio': case 'document': case 'sticker':
      return media(m, kind, ctx);
    case 'location':
      return [locationView(m.location || m.raw?.location || {})];
    case 'contacts':
      return contactsView(m.contacts || m.raw?.contacts || []);
    case 'interactive':
      return [interactiveView(m)];
    case 'button':
      return [el('p', { class: 'choice' }, el('span', { class: 'label' }, 'Tapped '),
        el('strong', {}, m.button?.text ?? m.text ?? ''))];
    case 'reaction':
      return [el('p', { class: 'muted' }, m.reaction?.emoji
        ? `Reacted ${m.reaction.emoji} to a message` : 'Removed a reaction')];
    case 'order':
      return [orderView(m.order || {})];
    case 'system':
      return [el('p', {}, m.system?.body || m.text || `System update (${m.system?.type || 'unknown'})`)];
    case 'template':
      return [templateView(m)];
    case 'status-only':
      return [el('p', { class: 'muted' }, 'Sent from outside this inbox: only its delivery status is known.')];
    case 'unsupported':
    default:
      return [unsupported(m, kind)];
  }
}

function media(m, kind, ctx) {
  const part = m.media || m.raw?.[kind] || {};
  const label = { image: 'Photo', video: 'Video', audio: part.voice ? 'Voice message' : 'Audio',
    document: 'Document', sticker: part.animated ? 'Animated sticker' : 'Sticker' }[kind];
  const box = el('div', { class: `media media-${kind}` });
  const caption = m.text ?? part.caption;
  const describe = el('p', { class: 'media-name' },
    el('span', { class: 'label' }, label), ' ', part.filename || '', part.mimeType ? ` · ${part.mimeType}` : '');
  box.append(describe);
  const show = async (button) => {
    if (button) button.disabled = true;
    try {
      const found = part.link ? { url: part.link } : await ctx.mediaUrl(m);
      box.replaceChildren(describe, mediaElement(kind, found, part));
    } catch (e) {
      box.append(el('p', { class: 'muted' }, `Not available: ${e.message}`));
    }
  };
  if (kind === 'image' || kind === 'sticker') show(null);
  else box.append(el('button', { type: 'button', class: 'secondary', onclick: (e) => show(e.currentTarget) }, `Open ${label.toLowerCase()}`));
  const out = [box];
  if (caption) out.push(el('p', { class: 'text' }, formatText(caption)));
  return out;
}

/** What a stored file is, from its key's extension: the stored copy may differ from the kind
 * WhatsApp named (the local sandbox keeps a placeholder picture for media it cannot fetch). */
function storedKind(key) {
  const ext = (/\.([a-z0-9]+)$/i.exec(key || '') || [])[1]?.toLowerCase();
  if (['jpg', 'jpeg', 'png', 'webp', 'gif', 'svg'].includes(ext)) return 'image';
  if (['mp4', '3gp', '3gpp'].includes(ext)) return 'video';
  if (['mp3', 'mpeg', 'ogg', 'oga', 'opus', 'aac', 'm4a', 'amr'].includes(ext)) return 'audio';
  return ext ? 'file' : null;
}

function mediaElement(kind, { url, key }, part) {
  if (!/^(https?:|blob:|data:)/i.test(url)) {
    // A media store without links a browser can open (only outside `serve`).
    return el('p', { class: 'muted' }, 'Kept in the media store: ', el('code', {}, url));
  }
  const alt = part.caption || part.filename || kind;
  const shown = storedKind(key) || (kind === 'sticker' ? 'image' : kind);
  if (shown === 'image') return el('img', { src: url, alt, loading: 'lazy' });
  if (shown === 'video') return el('video', { src: url, controls: true, preload: 'metadata' });
  if (shown === 'audio') return el('audio', { src: url, controls: true, preload: 'metadata' });
  return link(url, `Download ${part.filename || 'the document'}`);
}

function locationView(l) {
  const lat = Number(l.latitude);
  const lon = Number(l.longitude);
  const coords = `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
  const map = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`;
  return el('div', { class: 'card location' },
    el('p', { class: 'label' }, '📍 Location'),
    l.name && el('strong', {}, l.name),
    l.address && el('p', {}, l.address),
    el('p', {}, el('span', { class: 'coords' }, coords), ' · ', link(map, 'Open map')),
    l.url && link(l.url));
}

function contactsView(list) {
  return (Array.isArray(list) ? list : []).map((c) => el('div', { class: 'card contact' },
    el('p', { class: 'label' }, '👤 Contact'),
    el('strong', {}, c.name?.formatted_name || [c.name?.first_name, c.name?.last_name].filter(Boolean).join(' ') || 'Unnamed'),
    c.org?.company && el('p', {}, [c.org.company, c.org.title].filter(Boolean).join(' · ')),
    el('ul', {}, [
      ...(c.phones || []).map((p) => el('li', {}, `${p.type ? `${p.type}: ` : ''}${p.phone || p.wa_id || ''}`)),
      ...(c.emails || []).map((e) => el('li', {}, `${e.type ? `${e.type}: ` : ''}${e.email}`)),
    ])));
}

function interactiveView(m) {
  const i = m.interactive;
  if (!i && m.raw?.interactive) {
    // One the business sent: its body and choices.
    const r = m.raw.interactive;
    const choices = r.action?.buttons?.map((b) => b.reply?.title)
      || r.action?.sections?.flatMap((s) => s.rows?.map((row) => row.title) ?? [])
      || (r.action?.parameters?.display_text ? [r.action.parameters.display_text] : []);
    return el('div', { class: 'card' },
      r.header?.text && el('strong', {}, r.header.text),
      el('p', {}, formatText(r.body?.text ?? '')),
      choices.length > 0 && el('ul', { class: 'choices' }, choices.map((c) => el('li', {}, c))));
  }
  if (!i) return unsupported(m, 'interactive');
  if (i.type === 'nfm_reply') {
    const response = i.flowResponse && typeof i.flowResponse === 'object' ? i.flowResponse : {};
    return el('div', { class: 'card' },
      el('p', { class: 'label' }, `Form answered${i.flowName ? ` (${i.flowName})` : ''}`),
      el('dl', {}, Object.entries(response).filter(([k]) => k !== 'flow_token')
        .flatMap(([k, v]) => [el('dt', {}, k.replace(/_/g, ' ')), el('dd', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))])));
  }
  return el('p', { class: 'choice' },
    el('span', { class: 'label' }, i.type === 'list_reply' ? 'Chose from the list ' : 'Tapped '),
    el('strong', {}, i.title ?? i.id ?? ''),
    i.description && el('span', { class: 'details' }, i.description));
}

function orderView(o) {
  const items = o.productItems || [];
  const total = items.reduce((sum, p) => sum + (Number(p.itemPrice) || 0) * (Number(p.quantity) || 0), 0);
  const currency = items[0]?.currency || '';
  return el('div', { class: 'card order' },
    el('p', { class: 'label' }, `🛒 Order · ${items.length} item${items.length === 1 ? '' : 's'}`),
    el('table', {},
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Item'), el('th', { scope: 'col' }, 'Qty'), el('th', { scope: 'col' }, 'Price'))),
      el('tbody', {}, items.map((p) => el('tr', {},
        el('td', {}, p.productRetailerId ?? ''), el('td', {}, String(p.quantity ?? '')),
        el('td', {}, `${p.itemPrice ?? ''} ${p.currency ?? ''}`))))),
    el('p', {}, el('strong', {}, `Total ${total.toFixed(2)} ${currency}`)),
    o.text && el('p', {}, formatText(o.text)));
}

function templateView(m) {
  const t = m.raw?.template || {};
  const params = (t.components || []).flatMap((c) => (c.parameters || []).map((p) => p.text ?? p.type));
  return el('div', { class: 'card' },
    el('p', { class: 'label' }, 'Template'),
    el('strong', {}, `${t.name ?? m.text ?? ''}${t.language?.code ? ` (${t.language.code})` : ''}`),
    params.length > 0 && el('p', {}, params.join(' · ')));
}

function unsupported(m, kind) {
  const type = kind === 'unsupported' ? (m.raw?.type || 'unknown') : kind;
  return el('div', { class: 'card unsupported' },
    el('p', {}, el('strong', {}, 'Unsupported message'), ` (${type}): WhatsApp does not show its content here.`),
    m.error && el('p', { class: 'details' }, [m.error.title, m.error.details].filter(Boolean).join(': ')));
}
