// Proves that a served script is its source with only local names changed, by two
// independent tools: acorn (the syntax trees) and eslint-scope (what each name means).
// Used by tests/test_minify.py and tests/test_mangle.py for server/mangle.py's output.
//
// For each pair, both texts are parsed by acorn and walked in parallel: the trees must be
// identical except for the names of Identifiers that stand for variables (a shorthand
// property `{a}` may become `{a: b}`; an `export {a}` may become `export {b as a}`).
// Property names, object keys, labels, exported and imported names must be unchanged.
// Then eslint-scope analyses both: every variable of the source must correspond to
// exactly one variable of the served script, in the corresponding scope, and the other
// way round (a bijection); every reference must resolve to the corresponding variable;
// a reference that resolves to nothing (a global such as `document`) must stay
// unresolved under the same name; a classic script's global variables keep their names.
//
// stdin: JSON [{name, source, served, sourceType}]
// stdout: JSON {name: {errors: [...], variables, references, renamed}}
import { readFileSync } from 'node:fs';
import * as acorn from 'acorn';
import * as eslintScope from 'eslint-scope';

const parse = (text, sourceType) => acorn.parse(text, { ecmaVersion: 'latest', sourceType, ranges: true });
const POSITION_KEYS = new Set(['start', 'end', 'loc', 'range']);

// Children whose Identifier is a name of something other than a variable (unless computed).
function fixedName(parent, key) {
  switch (parent.type) {
    case 'MemberExpression': return key === 'property' && !parent.computed;
    case 'Property':
    case 'MethodDefinition':
    case 'PropertyDefinition': return key === 'key' && !parent.computed;
    case 'ExportSpecifier': return key === 'exported';
    case 'ImportSpecifier': return key === 'imported';
    case 'ExportAllDeclaration': return key === 'exported';
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement': return key === 'label';
    case 'MetaProperty': return true;
    default: return false;
  }
}

// Walks source tree `a` and served tree `b` together. Fills `nodes` (source node -> served
// node) and returns a list of differences that are not allowed.
function compareTrees(a, b, nodes) {
  const errors = [];
  let renamed = 0;
  const walk = (x, y, path, fixed) => {
    if (errors.length > 20) return;
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) { errors.push(`${path}: list differs`); return; }
      x.forEach((item, i) => walk(item, y[i], `${path}[${i}]`, false));
      return;
    }
    if (x === null || typeof x !== 'object') {
      if (x !== y) errors.push(`${path}: ${JSON.stringify(x)} became ${JSON.stringify(y)}`);
      return;
    }
    if (x instanceof RegExp) {
      if (String(x) !== String(y)) errors.push(`${path}: ${x} became ${y}`);
      return;
    }
    if (y === null || typeof y !== 'object' || x.type !== y.type) {
      errors.push(`${path}: ${x.type} became ${y && y.type}`);
      return;
    }
    // (`export {a}`: one source node is both the local and the exported name; the
    // exported one is no variable, so it is never mapped.)
    if (typeof x.type === 'string' && !fixed) nodes.set(x, y);
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    for (const key of keys) {
      if (POSITION_KEYS.has(key)) continue;
      if (x.type === 'Identifier' && key === 'name') {
        if (x.name !== y.name) {
          if (fixed) errors.push(`${path}: the name ${x.name} (not a variable) became ${y.name}`);
          else renamed += 1;
        }
        continue;
      }
      // `{a}` may be written `{a: b}` (never the other way round).
      if (x.type === 'Property' && key === 'shorthand' && x.shorthand && !y.shorthand) continue;
      const child = x[key];
      walk(child, y[key], `${path}.${key}`, child && child.type === 'Identifier' && fixedName(x, key));
    }
  };
  walk(a, b, 'Program', false);
  return { errors, renamed };
}

function check({ source, served, sourceType }) {
  let a, b;
  try {
    a = parse(source, sourceType);
  } catch (err) {
    return { errors: [`source does not parse: ${err}`] };
  }
  try {
    b = parse(served, sourceType);
  } catch (err) {
    return { errors: [`served script does not parse: ${err}`] };
  }
  const nodes = new Map();
  const { errors, renamed } = compareTrees(a, b, nodes);
  if (errors.length) return { errors };

  const options = { ecmaVersion: 2022, sourceType };
  const sa = eslintScope.analyze(a, options);
  const sb = eslintScope.analyze(b, options);
  // Served scopes by their block node (a class declaration's name has two variables, one
  // per scope, declared by the same identifier: scopes tell them apart).
  const servedScopes = new Map();
  for (const scope of sb.scopes) {
    const list = servedScopes.get(scope.block) || [];
    list.push(scope);
    servedScopes.set(scope.block, list);
  }
  const image = new Map(); // source variable -> served variable
  const taken = new Map(); // served variable -> source variable
  let variables = 0;
  for (const scope of sa.scopes) {
    const candidates = (servedScopes.get(nodes.get(scope.block)) || []).filter((s) => s.type === scope.type);
    if (candidates.length !== 1) {
      errors.push(`no single served scope for the ${scope.type} scope at ${scope.block.start}`);
      continue;
    }
    const twin = candidates[0];
    for (const variable of scope.variables) {
      let match;
      if (variable.identifiers.length === 0) {
        // Implicit (`arguments`): by name.
        match = twin.variables.filter((v) => v.identifiers.length === 0 && v.name === variable.name);
      } else {
        const ids = variable.identifiers.map((id) => nodes.get(id));
        match = twin.variables.filter((v) => v.identifiers.length === ids.length
          && v.identifiers.every((id, i) => id === ids[i]));
      }
      if (match.length !== 1) {
        errors.push(`variable ${variable.name} has ${match.length} served counterparts`);
        continue;
      }
      const [counterpart] = match;
      if (taken.has(counterpart)) {
        errors.push(`${variable.name} and ${taken.get(counterpart).name} both became ${counterpart.name}`);
        continue;
      }
      if (scope.type === 'global' && sourceType === 'script' && counterpart.name !== variable.name) {
        errors.push(`global ${variable.name} of a classic script became ${counterpart.name}`);
      }
      image.set(variable, counterpart);
      taken.set(counterpart, variable);
      variables += 1;
    }
    if (twin.variables.length !== scope.variables.length) {
      errors.push(`the ${scope.type} scope at ${scope.block.start} has ${scope.variables.length} variables, `
        + `served ${twin.variables.length}`);
    }
  }
  const servedVariables = sb.scopes.reduce((n, s) => n + s.variables.length, 0);
  if (servedVariables !== taken.size && !errors.length) {
    errors.push(`${servedVariables} served variables for ${taken.size} source variables`);
  }

  // (One identifier can make two references: `{a = 1} = {}` in a parameter list.)
  const servedRefs = new Map();
  let unmatched = 0;
  for (const scope of sb.scopes) {
    for (const ref of scope.references) {
      servedRefs.set(ref.identifier, [...(servedRefs.get(ref.identifier) || []), ref]);
      unmatched += 1;
    }
  }
  let references = 0;
  for (const scope of sa.scopes) {
    for (const ref of scope.references) {
      const twins = servedRefs.get(nodes.get(ref.identifier)) || [];
      const twin = twins.shift();
      const where = `${ref.identifier.name} at ${ref.identifier.start}`;
      if (!twin) { errors.push(`reference ${where} has no served counterpart`); continue; }
      unmatched -= 1;
      references += 1;
      if (twin.isRead() !== ref.isRead() || twin.isWrite() !== ref.isWrite()) {
        errors.push(`reference ${where} is read/written differently`);
      }
      if (ref.resolved === null) {
        if (twin.resolved !== null) {
          errors.push(`reference ${where} (global) was captured by ${twin.resolved.name}`);
        } else if (twin.identifier.name !== ref.identifier.name) {
          errors.push(`reference ${where} (global) became ${twin.identifier.name}`);
        }
      } else if (twin.resolved !== image.get(ref.resolved)) {
        errors.push(`reference ${where} resolves to ${twin.resolved ? twin.resolved.name : 'a global'}, `
          + `not to ${image.get(ref.resolved) ? image.get(ref.resolved).name : '?'}`);
      }
    }
  }
  if (unmatched) errors.push(`${unmatched} served references have no source counterpart`);
  return { errors: errors.slice(0, 20), variables, references, renamed };
}

const result = {};
for (const item of JSON.parse(readFileSync(0, 'utf8'))) result[item.name] = check(item);
process.stdout.write(JSON.stringify(result));
