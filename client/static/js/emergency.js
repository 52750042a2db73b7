// The person's own emergency number, on every page.
//
// Pages never name a country's number: the server writes "your emergency number" and
// "your doctor's urgent line or out-of-hours service". This module finds where the
// person probably is (their setting, then the time zone, then the browser's languages:
// regionFor in screening-rules.js, proved equal to the server's) and fills in the
// number as a one-tap tel: link, and the urgent service where the region has one.
// With no region it offers the default (112) with a "Not your number?" link beside
// every call button.
import REGION_DATA from './region-data.js';
import { emergencyNumber, regionFor, urgentService, zonesFromCompact } from './screening-rules.js';
import { KEYS, read } from './storage.js';

export const EMERGENCY_PHRASE = 'your emergency number';
export const URGENT_PHRASE = "your doctor's urgent line or out-of-hours service";
const PHRASES = new RegExp(`(${EMERGENCY_PHRASE}|${URGENT_PHRASE.replace(/'/g, "['’]")})`, 'gi');
// Labels name the setting ("Your emergency number"), so they keep the words.
const SKIP = 'script, style, noscript, textarea, option, title, label, [data-no-fill]';

let zones = null;

export function deviceTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch (err) {
    return null;
  }
}

function languages() {
  if (navigator.languages && navigator.languages.length) return [...navigator.languages];
  return navigator.language ? [navigator.language] : [];
}

/**
 * Where the person probably is and what to call.
 * @returns {{region: string|null, source: string, number: string, numberSource: string,
 *   urgent: {name: string, number: string}|null}}
 */
export function localHelp(prefs = read(KEYS.preferences, {}) || {}) {
  if (!zones) zones = zonesFromCompact(REGION_DATA.zones);
  const place = regionFor(zones, prefs.region, deviceTimeZone(), languages());
  const call = emergencyNumber(REGION_DATA, place.region, prefs.emergencyNumber);
  return {
    region: place.region,
    source: place.source,
    number: call.number,
    numberSource: call.source,
    urgent: urgentService(REGION_DATA, place.region),
  };
}

export function regionData() {
  return REGION_DATA;
}

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

/** Swap the person's number and urgent service into every phrase and call button under `root`. */
export function fillNumbers(root = document.body, help = localHelp()) {
  if (!root) return help;
  for (const span of root.querySelectorAll('span.fill[data-fill]')) fillSpan(span, help);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      const parent = node.parentElement;
      if (!parent || parent.closest(SKIP) || parent.closest('span.fill')) return NodeFilter.FILTER_REJECT;
      PHRASES.lastIndex = 0;
      return PHRASES.test(node.data) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT;
    },
  });
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
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
  return help;
}
