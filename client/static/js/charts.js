// Hand-drawn SVG charts for the progress page: no library, no third-party request.
// Colours come from CSS classes (app.css, "Progress" block), so they follow light and
// dark and print in black and white; lines differ by dash as well as colour.
// Each chart is role="img" with a short text summary; the page adds the full numbers as
// a table beside it.

const NS = 'http://www.w3.org/2000/svg';
export const WIDTH = 320;

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(height, label) {
  const svg = svgEl('svg', { viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'aria-label': label, class: 'chart-svg', preserveAspectRatio: 'xMidYMid meet' });
  svg.append(svgEl('title', {}, label));
  return svg;
}

const shortDate = (d) => {
  const [, m, day] = d.split('-').map(Number);
  return `${day} ${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][m - 1]}`;
};
export { shortDate };

/**
 * Lines over days on a 0-10 scale. series: [{key, cls, values: [number|null per day]}].
 * A missing day breaks the line; a lone day is a dot.
 */
export function lineChart({ dates, series, label }) {
  const H = 170;
  const left = 26; const right = 8; const top = 10; const bottom = 26;
  const w = WIDTH - left - right; const h = H - top - bottom;
  const svg = frame(H, label);
  const x = (i) => left + (dates.length <= 1 ? w / 2 : (i * w) / (dates.length - 1));
  const y = (v) => top + h - (v / 10) * h;
  for (const v of [0, 5, 10]) {
    svg.append(svgEl('line', { x1: left, x2: WIDTH - right, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(svgEl('text', { x: left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(v)));
  }
  svg.append(svgEl('text', { x: left, y: H - 6, class: 'axis' }, shortDate(dates[0])));
  svg.append(svgEl('text', { x: WIDTH - right, y: H - 6, class: 'axis', 'text-anchor': 'end' }, shortDate(dates[dates.length - 1])));
  const dot = dates.length > 45 ? 1.8 : 3;
  for (const s of series) {
    let d = '';
    let open = false;
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) { open = false; return; }
      d += `${open ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
      open = true;
    });
    const g = svgEl('g', { class: `series ${s.cls}` });
    if (d) g.append(svgEl('path', { d, class: 'line' }));
    s.values.forEach((v, i) => {
      if (v !== null && v !== undefined) g.append(svgEl('circle', { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: dot, class: 'dot' }));
    });
    svg.append(g);
  }
  return svg;
}

/**
 * Day-by-day activity in lanes under the same dates as the pain chart.
 * lanes: [{title, values: [n per day], max, cls, second?: [n per day], secondCls}]:
 * `second` is stacked on top (breaks skipped above breaks taken).
 */
export function laneChart({ dates, lanes, label }) {
  const laneH = 46; const gap = 18; const left = 26; const right = 8; const top = 4;
  const H = top + lanes.length * (laneH + gap) + 14;
  const w = WIDTH - left - right;
  const svg = frame(H, label);
  const step = w / dates.length;
  const barW = Math.max(1, Math.min(10, step * 0.7));
  lanes.forEach((lane, li) => {
    const y0 = top + li * (laneH + gap) + gap;
    svg.append(svgEl('text', { x: left, y: y0 - 5, class: 'lane-title' }, lane.title));
    svg.append(svgEl('line', { x1: left, x2: WIDTH - right, y1: y0 + laneH, y2: y0 + laneH, class: 'grid' }));
    svg.append(svgEl('text', { x: left - 6, y: y0 + 8, class: 'axis', 'text-anchor': 'end' }, String(lane.max)));
    const g = svgEl('g', { class: `series ${lane.cls}` });
    dates.forEach((_, i) => {
      const a = Math.min(lane.values[i] || 0, lane.max);
      const b = lane.second ? Math.min(lane.second[i] || 0, lane.max - a) : 0;
      const cx = left + step * i + (step - barW) / 2;
      if (a > 0) {
        const hA = (a / lane.max) * laneH;
        g.append(svgEl('rect', { x: cx.toFixed(1), y: (y0 + laneH - hA).toFixed(1), width: barW.toFixed(1), height: hA.toFixed(1), class: 'bar' }));
      }
      if (b > 0) {
        const hA = (a / lane.max) * laneH; const hB = (b / lane.max) * laneH;
        g.append(svgEl('rect', { x: cx.toFixed(1), y: (y0 + laneH - hA - hB).toFixed(1), width: barW.toFixed(1), height: hB.toFixed(1), class: `bar ${lane.secondCls}` }));
      }
    });
    svg.append(g);
  });
  svg.append(svgEl('text', { x: left, y: H - 2, class: 'axis' }, shortDate(dates[0])));
  svg.append(svgEl('text', { x: WIDTH - right, y: H - 2, class: 'axis', 'text-anchor': 'end' }, shortDate(dates[dates.length - 1])));
  return svg;
}

/** Pain before and after, one pair of bars per routine. rows: beforeAfter() */
export function pairChart({ rows, label }) {
  const rowH = 56; const left = 4; const right = 72;
  const H = rows.length * rowH + 6;
  const w = WIDTH - left - right;
  const svg = frame(H, label);
  rows.forEach((r, i) => {
    const y0 = i * rowH + 14;
    svg.append(svgEl('text', { x: left, y: y0, class: 'lane-title' }, `${r.title} (${r.runs}×)`));
    for (const [k, v, cls, dy] of [['before', r.before, 'before', 6], ['after', r.after, 'after', 24]]) {
      const len = Math.max(2, (v / 10) * w);
      svg.append(svgEl('rect', { x: left, y: y0 + dy, width: len.toFixed(1), height: 14, class: `bar ${cls}` }));
      svg.append(svgEl('text', { x: left + len + 4, y: y0 + dy + 11, class: 'axis' }, `${k} ${v}`));
    }
  });
  return svg;
}
