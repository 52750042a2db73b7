// The safety check's "not improving after 2 weeks, or getting worse" answer, proposed
// from the diary (never answered for the person): the same rules as /progress
// (progress-rules.js with content/progress.yaml, in the generated progress-data.js).
import { KEYS, localDate, read } from './storage.js';
import { checkins } from './diary.js';
import { safetyOffer } from './progress-rules.js';
import rules from './progress-data.js';

export const PROPOSED_QUESTION = 'not-improving';

const fmt = (x) => String(Math.round(x * 10) / 10);

/** { answer: true, text } when the diary says the pain is not improving or is worse, else null. */
export async function diaryProposal() {
  if (!('indexedDB' in window)) return null;
  const offer = safetyOffer(rules, { checkins: await checkins(), screenings: read(KEYS.screenings, []), today: localDate() });
  if (!offer.proposeNotImproving) return null;
  const t = offer.trend;
  const text = t.worse
    ? `From your diary: your pain is getting worse (${fmt(t.current)} out of 10 on average this week, ${fmt(t.previous)} the week before). We suggest answering Yes.`
    : `From your diary: your pain has not come down over two weeks (${fmt(t.current)} out of 10 on average this week, ${fmt(t.earlier)} two weeks ago). We suggest answering Yes.`;
  return { answer: true, text };
}
