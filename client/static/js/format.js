// Dates and durations in words, the way a person says them: "Today", "Tue 24 Nov",
// "40 s", "1 min 40 s". Pure functions (no DOM, no storage) so Node can test them, and
// durationWords is proved equal to the server's (server/wording.py) by
// tests/test_format.py, because pages show both.

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// Whole seconds: "40 s", "1 min", "1 min 40 s", "1 h 5 min" (seconds dropped past an hour).
export function durationWords(seconds) {
  const total = Math.max(0, Math.round(Number(seconds) || 0));
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  const rest = total % 60;
  if (minutes < 60) return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const mins = minutes % 60;
  return mins ? `${hours} h ${mins} min` : `${hours} h`;
}

// A running countdown: "0:40", "12:05".
export function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

function parseLocalDate(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
  if (!match) return null;
  const d = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(d.getTime()) ? null : d;
}

// A local calendar date "YYYY-MM-DD": "Today", "Yesterday", "Tue 24 Nov", and the year
// when it is not this year ("Tue 24 Nov 2025"). Anything else comes back unchanged.
export function dateWords(value, today = new Date()) {
  const d = parseLocalDate(value);
  if (!d) return String(value);
  const base = new Date(today.getFullYear(), today.getMonth(), today.getDate());
  const days = Math.round((base - d) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  const words = `${DAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]}`;
  return d.getFullYear() === today.getFullYear() ? words : `${words} ${d.getFullYear()}`;
}
