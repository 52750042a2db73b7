// Reads an iCalendar file on stdin and prints, per event UID, every occurrence in
// [start, end) (UTC milliseconds, from argv) as Mozilla's ical.js computes it, using
// only the file's own VTIMEZONE definitions - as Thunderbird and web calendars do.
import { readFileSync } from 'node:fs';
import ICAL from 'ical.js';

const [start, end] = process.argv.slice(2).map(Number);
const calendar = new ICAL.Component(ICAL.parse(readFileSync(0, 'utf8')));
for (const zone of calendar.getAllSubcomponents('vtimezone')) {
  ICAL.TimezoneService.register(new ICAL.Timezone(zone));
}
const out = {};
for (const component of calendar.getAllSubcomponents('vevent')) {
  const event = new ICAL.Event(component);
  const zone = event.startDate.zone && event.startDate.zone.tzid;
  const times = [];
  const iterator = event.iterator();
  for (let next = iterator.next(); next; next = iterator.next()) {
    const ms = next.toJSDate().getTime();
    if (ms >= end) break;
    if (ms >= start) times.push(ms);
  }
  out[event.uid] = { zone, times };
}
process.stdout.write(JSON.stringify(out));
