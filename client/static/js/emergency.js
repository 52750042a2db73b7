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
import { KEYS, read, write } from './storage.js';
import { EMERGENCY_PHRASE, URGENT_PHRASE, fillWith, storedHelp } from './number-fill.js';
import { deviceTimeZone } from './dom.js';

export { EMERGENCY_PHRASE, URGENT_PHRASE };

let zones = null;

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

/** Swap the person's number and urgent service into every phrase and call button under `root`. */
export function fillNumbers(root = document.body, help = localHelp()) {
  if (root) fillWith(root, help);
  return help;
}

/** Keep what was worked out for the next page's first paint (number-fill.js). Called once
 * per page load, so "erase everything" leaves nothing behind until the next page. */
export function rememberHelp(help) {
  const kept = { number: help.number, numberSource: help.numberSource, urgent: help.urgent };
  if (storedHelp(kept) && JSON.stringify(read(KEYS.localHelp, null)) !== JSON.stringify(kept)) write(KEYS.localHelp, kept);
}
