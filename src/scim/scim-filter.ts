import { ScimError } from './scim-error';

/**
 * The filter grammar of RFC 7644 §3.4.2.2 and the PatchOp `path` of §3.5.2, written out here: the
 * whole grammar is parsed (so a malformed filter is `invalidFilter` and a well-formed one the
 * directory does not support says so), then each resource says which of it it serves.
 */

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'lt' | 'ge' | 'le';
export type FilterValue = string | number | boolean | null;

/** An attribute, with its schema URN when one was written; names as written (compare case-insensitively). */
export interface AttrPath {
  uri?: string;
  name: string;
  sub?: string;
}

/** `attr`, `attr.sub`, or a value path `attr[filter]` with an optional `.sub` after it. */
export interface Path {
  attr: AttrPath;
  /** The value filter of a multi-valued attribute (`emails[type eq "work"]`). */
  valueFilter?: Filter;
  /** The sub-attribute after a value filter (`emails[type eq "work"].value`). */
  sub?: string;
}

export type Filter =
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  | { kind: 'compare'; path: Path; op: CompareOp; value: FilterValue }
  | { kind: 'present'; path: Path }
  | { kind: 'valuePath'; path: Path };

const COMPARE_OPS = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le']);
/** Longer filters are refused before parsing: no directory sends more. */
const MAX_FILTER_LENGTH = 2048;
const MAX_DEPTH = 16;

type Token =
  | { type: 'word'; text: string; at: number }
  | { type: 'string'; text: string; at: number }
  | { type: '(' | ')' | '[' | ']'; at: number };

/** Attribute names, URNs (`urn:…:User:name.givenName`), operators, keywords and numbers. */
const WORD = /[A-Za-z0-9_:.$+-]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ type: c, at: i });
      i++;
    } else if (c === '"') {
      const start = i;
      i++;
      let closed = false;
      while (i < text.length) {
        if (text[i] === '\\') i += 2;
        else if (text[i] === '"') {
          closed = true;
          i++;
          break;
        } else i++;
      }
      if (!closed) throw invalid(`unterminated string at ${start}`);
      let value: unknown;
      try {
        value = JSON.parse(text.slice(start, i));
      } catch {
        throw invalid(`bad string at ${start}`);
      }
      tokens.push({ type: 'string', text: value as string, at: start });
    } else if (WORD.test(c)) {
      const start = i;
      while (i < text.length && WORD.test(text[i])) i++;
      tokens.push({ type: 'word', text: text.slice(start, i), at: start });
    } else {
      throw invalid(`unexpected character ${JSON.stringify(c)} at ${i}`);
    }
  }
  return tokens;
}

function invalid(detail: string): ScimError {
  return ScimError.badRequest('invalidFilter', `The filter is not valid: ${detail}.`);
}

const ATTR_NAME = /^[A-Za-z][A-Za-z0-9_$-]*$/;

/** `name`, `name.sub`, `urn:…:name` or `urn:…:name.sub`. */
function attrPath(text: string, fail: (detail: string) => ScimError): AttrPath {
  let uri: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const colon = text.lastIndexOf(':');
    uri = text.slice(0, colon);
    rest = text.slice(colon + 1);
  }
  const parts = rest.split('.');
  if (parts.length > 2 || !parts.every((part) => ATTR_NAME.test(part))) throw fail(`bad attribute ${text}`);
  return { ...(uri ? { uri } : {}), name: parts[0], ...(parts[1] ? { sub: parts[1] } : {}) };
}

class Parser {
  private position = 0;
  /** Inside a value filter's brackets, where another value path may not appear (RFC 7644's valFilter). */
  private inValueFilter = false;

  constructor(
    private readonly tokens: Token[],
    private readonly fail: (detail: string) => ScimError,
  ) {}

  parseFilter(depth = 0): Filter {
    if (depth > MAX_DEPTH) throw this.fail('nested too deeply');
    let left = this.parseAnd(depth);
    while (this.keyword('or')) left = { kind: 'or', left, right: this.parseAnd(depth) };
    return left;
  }

  parsePath(depth: number): Path {
    const token = this.next();
    if (token?.type !== 'word') throw this.fail(`an attribute expected at ${token?.at ?? 'the end'}`);
    const attr = attrPath(token.text, this.fail);
    if (this.peek()?.type !== '[') return { attr };
    this.position++;
    if (attr.sub) throw this.fail(`a value filter follows ${token.text}`);
    if (this.inValueFilter) throw this.fail('value filters do not nest');
    this.inValueFilter = true;
    const valueFilter = this.parseFilter(depth + 1);
    this.inValueFilter = false;
    this.expect(']');
    const after = this.peek();
    if (after?.type === 'word' && after.text.startsWith('.')) {
      this.position++;
      const sub = after.text.slice(1);
      if (!ATTR_NAME.test(sub)) throw this.fail(`bad sub-attribute ${after.text}`);
      return { attr, valueFilter, sub };
    }
    return { attr, valueFilter };
  }

  done(): void {
    const token = this.peek();
    if (token) throw this.fail(`unexpected ${'text' in token ? token.text : token.type} at ${token.at}`);
  }

  private parseAnd(depth: number): Filter {
    let left = this.parseUnary(depth);
    while (this.keyword('and')) left = { kind: 'and', left, right: this.parseUnary(depth) };
    return left;
  }

  private parseUnary(depth: number): Filter {
    if (this.keyword('not')) {
      this.expect('(');
      const filter = this.parseFilter(depth + 1);
      this.expect(')');
      return { kind: 'not', filter };
    }
    if (this.peek()?.type === '(') {
      this.position++;
      const filter = this.parseFilter(depth + 1);
      this.expect(')');
      return filter;
    }
    const path = this.parsePath(depth);
    const op = this.peek();
    if (path.valueFilter && (op === undefined || op.type !== 'word' || !isOperator(op.text))) {
      return { kind: 'valuePath', path };
    }
    if (op?.type !== 'word') throw this.fail(`an operator expected at ${op?.at ?? 'the end'}`);
    this.position++;
    const name = op.text.toLowerCase();
    if (name === 'pr') return { kind: 'present', path };
    if (!COMPARE_OPS.has(name)) throw this.fail(`unknown operator ${op.text}`);
    return { kind: 'compare', path, op: name as CompareOp, value: this.value() };
  }

  private value(): FilterValue {
    const token = this.next();
    if (token?.type === 'string') return token.text;
    if (token?.type === 'word') {
      const lower = token.text.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      if (lower === 'null') return null;
      if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(token.text)) return Number(token.text);
    }
    throw this.fail(`a value expected at ${token?.at ?? 'the end'} (strings are quoted)`);
  }

  private keyword(word: string): boolean {
    const token = this.peek();
    if (token?.type === 'word' && token.text.toLowerCase() === word) {
      this.position++;
      return true;
    }
    return false;
  }

  private expect(type: '(' | ')' | ']'): void {
    const token = this.next();
    if (token?.type !== type) throw this.fail(`${type} expected at ${token?.at ?? 'the end'}`);
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(): Token | undefined {
    return this.tokens[this.position++];
  }
}

function isOperator(text: string): boolean {
  const lower = text.toLowerCase();
  return lower === 'pr' || COMPARE_OPS.has(lower);
}

/** A filter query parameter or a value filter; invalidFilter when it does not parse. */
export function parseFilter(text: string): Filter {
  if (text.length > MAX_FILTER_LENGTH) throw invalid(`longer than ${MAX_FILTER_LENGTH} characters`);
  const parser = new Parser(tokenize(text), invalid);
  const filter = parser.parseFilter();
  parser.done();
  return filter;
}

/** A PatchOp `path`; invalidPath when it does not parse (an unparsable value filter in it: invalidFilter). */
export function parsePatchPath(text: string): Path {
  const fail = (detail: string) => ScimError.badRequest('invalidPath', `The path is not valid: ${detail}.`);
  if (text.length > MAX_FILTER_LENGTH) throw fail(`longer than ${MAX_FILTER_LENGTH} characters`);
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch {
    throw fail(`it does not parse`);
  }
  const parser = new Parser(tokens, fail);
  const path = parser.parsePath(0);
  parser.done();
  return path;
}

/** The core User and Group schemas: attributes under them are the plain attributes. */
export const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** The attribute's name in lower case, with the core schema's URN dropped; undefined for another schema's. */
export function coreName(attr: AttrPath, coreSchema: string): string | undefined {
  if (attr.uri && attr.uri.toLowerCase() !== coreSchema.toLowerCase()) return undefined;
  return attr.name.toLowerCase();
}

/**
 * Whether an element of a multi-valued attribute (an object such as `{value, type, primary}`)
 * matches a value filter. Strings compare case-insensitively (the caseExact of `type` and `value`
 * in the schemas we serve is false, but `members.value`, an id, which compares exactly anyway).
 */
export function matchesValueFilter(element: Record<string, unknown>, filter: Filter): boolean {
  switch (filter.kind) {
    case 'and':
      return matchesValueFilter(element, filter.left) && matchesValueFilter(element, filter.right);
    case 'or':
      return matchesValueFilter(element, filter.left) || matchesValueFilter(element, filter.right);
    case 'not':
      return !matchesValueFilter(element, filter.filter);
    case 'present': {
      const value = elementValue(element, filter.path);
      return value !== undefined && value !== null && value !== '';
    }
    case 'compare':
      return compare(elementValue(element, filter.path), filter.op, filter.value);
    case 'valuePath':
      return false;
  }
}

function elementValue(element: Record<string, unknown>, path: Path): unknown {
  if (path.valueFilter || path.attr.sub || path.attr.uri) return undefined;
  const key = Object.keys(element).find((k) => k.toLowerCase() === path.attr.name.toLowerCase());
  return key === undefined ? undefined : element[key];
}

function compare(actual: unknown, op: CompareOp, expected: FilterValue): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    const a = actual.toLowerCase();
    const e = expected.toLowerCase();
    switch (op) {
      case 'eq':
        return a === e;
      case 'ne':
        return a !== e;
      case 'co':
        return a.includes(e);
      case 'sw':
        return a.startsWith(e);
      case 'ew':
        return a.endsWith(e);
      case 'gt':
        return a > e;
      case 'lt':
        return a < e;
      case 'ge':
        return a >= e;
      case 'le':
        return a <= e;
    }
  }
  if (op === 'eq') return actual === expected || (expected === null && actual === undefined);
  if (op === 'ne') return actual !== expected;
  return false;
}
