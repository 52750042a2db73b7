// What a JavaScript engine reads from a script, by acorn (an independent parser): every
// token's type and exact source text, whether a line break comes before it (automatic
// semicolon insertion depends on that), and the syntax tree without positions.
// Comments are not tokens. Used by tests/test_minify.py to prove that a script served
// without its comments is the same program as the source.
//
// stdin: JSON [{name, text, sourceType}]; stdout: JSON {name: {tokens, tree} | {error}}.
import { readFileSync } from 'node:fs';
import * as acorn from 'acorn';

const options = (sourceType) => ({ ecmaVersion: 'latest', sourceType, locations: true });

function tokens(text, sourceType) {
  const out = [];
  let lastEnd = 0;
  for (const token of acorn.tokenizer(text, options(sourceType))) {
    const between = text.slice(lastEnd, token.start);
    // (Before the first token a line break means nothing.)
    const lineBreak = out.length > 0 && /[\n\r\u2028\u2029]/.test(between);
    out.push([token.type.label, text.slice(token.start, token.end), lineBreak]);
    lastEnd = token.end;
  }
  return out;
}

// The tree without positions (start, end, loc) or raw-text fields that merely repeat them.
function tree(text, sourceType) {
  const ast = acorn.parse(text, options(sourceType));
  return JSON.stringify(ast, (key, value) => {
    if (key === 'start' || key === 'end' || key === 'loc') return undefined;
    if (value instanceof RegExp) return String(value);
    if (typeof value === 'bigint') return `${value}n`;
    return value;
  });
}

const files = JSON.parse(readFileSync(0, 'utf8'));
const result = {};
for (const { name, text, sourceType } of files) {
  try {
    result[name] = { tokens: tokens(text, sourceType), tree: tree(text, sourceType) };
  } catch (err) {
    result[name] = { error: String(err) };
  }
}
process.stdout.write(JSON.stringify(result));
