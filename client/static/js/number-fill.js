// Filling in the person's emergency number and urgent service, in one place. emergency.js
// imports it; the server also puts this very text (without the `export` keywords) in the
// script at the end of every page's body, which fills in the number last worked out on
// this phone before the first paint, so nothing shifts when the modules load.
// Keep it plain: no imports, nothing but these declarations.

export const EMERGENCY_PHRASE = 'your emergency number';
export const URGENT_PHRASE = "your doctor's urgent line or out-of-hours service";
const PHRASES = new RegExp(`(${EMERGENCY_PHRASE}|${URGENT_PHRASE.replace(/'/g, "['’]")})`, 'gi');
// Labels name the setting ("Your emergency number"), so they keep the words.
const SKIP = 'script, style, noscript, textarea, option, title, label, [data-no-fill]';

function telLink(number, text) {
  const link = document.createElement('a');
  link.href = `tel:${number}`;
  link.className = 'tel';
  link.textContent = text;
  return link;
}

// The content of one filled phrase. Inside a link, plain text (links do not nest).
function filling(kind, original, help, inLink) {
  if (kind === 'urgent') {
    if (!help.urgent) return [document.createTextNode(original)];
    return [inLink ? document.createTextNode(help.urgent.name) : telLink(help.urgent.number, help.urgent.name)];
  }
  const number = inLink ? document.createTextNode(help.number) : telLink(help.number, help.number);
  if (help.numberSource === 'default') {
    // We do not know the person's number: say so, and offer the one that works most widely.
    return [document.createTextNode(`${original} (`), number, document.createTextNode(')')];
  }
  return [number];
}

function fillSpan(span, help) {
  span.replaceChildren(...filling(span.dataset.fill, span.dataset.text, help, Boolean(span.parentElement.closest('a'))));
}

/** Swap `help` (number, numberSource, urgent) into every phrase and call button under `root`.
 * Filling again with other help replaces the earlier filling. */
export function fillWith(root, help) {
  for (const span of root.querySelectorAll('span.fill[data-fill]')) fillSpan(span, help);
  // A plain loop, not a filter callback: a call from the browser into a script for every
  // text node costs ten times as much on a long page (issue 14). The cheap test first:
  // most text holds no phrase, and closest() climbs the tree.
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    PHRASES.lastIndex = 0;
    if (!PHRASES.test(node.data)) continue;
    const parent = node.parentElement;
    if (parent && !parent.closest(SKIP) && !parent.closest('span.fill')) nodes.push(node);
  }
  for (const node of nodes) {
    const parts = node.data.split(PHRASES);
    const replacement = parts.map((part, i) => {
      if (i % 2 === 0) return document.createTextNode(part);
      const span = document.createElement('span');
      span.className = 'fill';
      span.dataset.fill = part.toLowerCase() === EMERGENCY_PHRASE ? 'emergency' : 'urgent';
      span.dataset.text = part;
      return span;
    });
    node.replaceWith(...replacement);
    for (const span of replacement) if (span.dataset && span.dataset.fill) fillSpan(span, help);
  }
  for (const link of root.querySelectorAll('a[data-call]')) {
    link.href = `tel:${help.number}`;
    link.textContent = link.dataset.call === 'now' ? `Call ${help.number} now` : `Call ${help.number}`;
  }
}

/** The help worth filling in from a stored copy, or null: anything odd is ignored. */
export function storedHelp(value) {
  if (!value || typeof value !== 'object' || typeof value.number !== 'string' || !/^\d{2,6}$/.test(value.number)) return null;
  const urgent = value.urgent;
  const urgentOk = urgent === null || (urgent && typeof urgent === 'object' && typeof urgent.name === 'string'
    && urgent.name.length <= 80 && typeof urgent.number === 'string' && /^[\d ]{2,20}$/.test(urgent.number));
  if (!urgentOk || typeof value.numberSource !== 'string') return null;
  return { number: value.number, numberSource: value.numberSource, urgent };
}
