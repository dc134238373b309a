import { parse as parseQueryString } from 'node:querystring';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import type { FastifyInstance, FastifyRequest, preParsingHookHandler } from 'fastify';
import { DomainError, ValidationDetail, validationFailed } from './errors';

const JSON_TYPE = 'application/json';
const JSON_BODY_LIMIT = 64 * 1024;
/** Deeper JSON is refused before anything walks it (this file, class-transformer, class-validator). */
const MAX_DEPTH = 32;

/** The one other body type a route may opt in to (a SAML ACS receives an HTML form post). */
export const FORM_TYPE = 'application/x-www-form-urlencoded';
export const FORM_BODY_LIMIT = 256 * 1024;

/**
 * JSON under SCIM's media type (RFC 7644 §3.1), parsed as JSON is; only the routes that list it
 * under BODY_TYPES (the SCIM routes) accept it.
 */
export const SCIM_JSON_TYPE = 'application/scim+json';

/**
 * The Fastify route config key (set through @RouteConfig) listing the body types a route accepts
 * besides JSON: FORM_TYPE or SCIM_JSON_TYPE.
 */
export const BODY_TYPES = 'bodyTypes';

/**
 * The Fastify route config key of a route whose errors have another body than the API's (the SCIM
 * routes answer RFC 7644's): a function from the error to the status, body and content type to
 * answer. The ErrorFilter asks it for what fails before the route's own filters run (an unreadable
 * or unaccepted body, a body too large).
 */
export const ERROR_BODY = 'errorBody';

export interface RouteErrorAnswer {
  status: number;
  body: unknown;
  contentType: string;
}

export type RouteErrorBody = (error: DomainError) => RouteErrorAnswer;

/** The route's own error body, if it has one (see ERROR_BODY). */
export function routeErrorBody(request: FastifyRequest | undefined): RouteErrorBody | undefined {
  const config = request?.routeOptions?.config as unknown as Record<string, unknown> | undefined;
  const answer = config?.[ERROR_BODY];
  return typeof answer === 'function' ? (answer as RouteErrorBody) : undefined;
}

/** Marks an error of the request body stream (a bad compressed body): bad input, not our fault. */
const MALFORMED_BODY = Symbol('malformed-body');

/** Whether an error came from reading a malformed request body (see the filter). */
export function isMalformedBodyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && MALFORMED_BODY in error;
}

/**
 * A request body must be JSON. Anything else answers 415, which also closes login CSRF: a
 * cross-site HTML form can send form-encoded or text/plain bodies without a CORS preflight, but
 * never application/json. A route opts in to form bodies by listing FORM_TYPE under BODY_TYPES.
 *
 * Every method reads its body, GET and HEAD included, so a body on a route that takes none is
 * refused (415, 400 invalid_json, or 400 validation_failed by @NoBody()) rather than ignored.
 */
export function registerBodyParsers(fastify: FastifyInstance): void {
  for (const method of ['GET', 'HEAD']) fastify.addHttpMethod(method, { hasBody: true, overrideExisting: true });
  fastify.removeAllContentTypeParsers();
  for (const type of [JSON_TYPE, SCIM_JSON_TYPE]) {
    fastify.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: JSON_BODY_LIMIT }, (request, body, done) => {
      try {
        done(null, parseJson(decode(body as Buffer, charsetOf(request))));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
  }
  fastify.addContentTypeParser(FORM_TYPE, { parseAs: 'buffer', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => {
    try {
      done(null, rejectUnsafeValues({ ...parseQueryString(UTF8.decode(body as Buffer)) }));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  fastify.addHook('preParsing', requireAcceptedBody);
}

/** Before any byte is read: the type, charset and encoding decide 415, so 415 comes before 413. */
const requireAcceptedBody: preParsingHookHandler = (request, _reply, payload, done) => {
  const { headers } = request;
  const length = headers['content-length'];
  if (headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) {
    done(null, payload);
    return;
  }
  const type = mediaTypeOf(headers['content-type']);
  const accepted =
    type === JSON_TYPE || (type === SCIM_JSON_TYPE && routeAccepts(request, SCIM_JSON_TYPE))
      ? (charsetOf(request) ?? 'utf-').startsWith('utf-')
      : type === FORM_TYPE && routeAccepts(request, FORM_TYPE) && (charsetOf(request) ?? 'utf-8') === 'utf-8';
  if (!accepted) {
    done(new DomainError('unsupported_media_type'));
    return;
  }
  const decoded = decompressed(headers['content-encoding'], payload);
  if (!decoded) {
    done(new DomainError('unsupported_media_type'));
    return;
  }
  done(null, decoded);
};

function routeAccepts(request: FastifyRequest, type: string): boolean {
  const types = (request.routeOptions.config as unknown as Record<string, unknown>)[BODY_TYPES];
  return Array.isArray(types) && types.includes(type);
}

/** The media type, lower-cased and without parameters; '' when there is none. */
function mediaTypeOf(header: string | undefined): string {
  if (header === undefined) return '';
  const end = header.indexOf(';');
  return (end === -1 ? header : header.slice(0, end)).trim().toLowerCase();
}

function charsetOf(request: FastifyRequest): string | undefined {
  const header = request.headers['content-type'];
  if (header === undefined) return undefined;
  for (const parameter of header.split(';').slice(1)) {
    const separator = parameter.indexOf('=');
    if (separator > 0 && parameter.slice(0, separator).trim().toLowerCase() === 'charset') {
      return parameter
        .slice(separator + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
    }
  }
  return undefined;
}

/** gzip, deflate and br bodies are inflated (the size limit applies to what comes out); others are 415. */
function decompressed(encoding: string | undefined, payload: Readable): Readable | undefined {
  const name = (encoding ?? 'identity').toLowerCase();
  if (name === 'identity') return payload;
  const inflate =
    name === 'gzip'
      ? zlib.createGunzip()
      : name === 'deflate'
        ? zlib.createInflate()
        : name === 'br'
          ? zlib.createBrotliDecompress()
          : undefined;
  if (!inflate) return undefined;
  // Fastify compares Content-Length with the bytes received, not with the inflated size.
  const counted = inflate as zlib.Gzip & { receivedEncodedLength: number };
  counted.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => (counted.receivedEncodedLength += chunk.length));
  inflate.on('error', (error) => Object.defineProperty(error, MALFORMED_BODY, { value: true }));
  return payload.pipe(inflate);
}

const UTF8 = new TextDecoder('utf-8');

/** Any utf-* charset is decoded (a BOM dropped); another charset was refused before reading. */
function decode(body: Buffer, charset: string | undefined): string {
  if (charset === undefined || charset === 'utf-8') return UTF8.decode(body);
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    throw new DomainError('unsupported_media_type');
  }
}

const JSON_WHITESPACE = /^[ \t\n\r]*/;

/** An object or an array, as JSON.parse reads it; an empty body is an empty object. */
function parseJson(text: string): unknown {
  if (text.length === 0) return {};
  const first = text[JSON_WHITESPACE.exec(text)![0].length];
  if (first !== '{' && first !== '[') throw new DomainError('invalid_json');
  if (nestsDeeperThan(text, MAX_DEPTH)) {
    throw validationFailed([{ field: '', problems: [`the body must not nest deeper than ${MAX_DEPTH} levels`] }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DomainError('invalid_json');
  }
  return rejectUnsafeValues(value);
}

/**
 * Whether the JSON text opens more than `limit` objects or arrays inside one another: one pass over
 * the text, no recursion, brackets inside strings (and escaped quotes) not counted. Malformed text is
 * left to JSON.parse.
 */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

const [QUOTE, BACKSLASH, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET] = [...'"\\{}[]'].map((c) =>
  c.charCodeAt(0),
);

/** Keys that mean something to JavaScript objects rather than to us. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A UTF-16 surrogate that is not half of a pair (JSON's "\ud800"): no character at all. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Text PostgreSQL cannot store (NUL), text that is not well-formed Unicode (a lone surrogate, which
 * validators and encoders throw on) and keys that reach into object prototypes are bad input:
 * 400 validation_failed, never a 500 from a validator or the database, or a polluted object. The
 * depth is bounded by nestsDeeperThan, so the recursion is too.
 */
function problemIn(value: unknown, path: string): ValidationDetail | undefined {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return { field: path, problems: ['must not contain a NUL character'] };
    if (LONE_SURROGATE.test(value)) return { field: path, problems: ['must be well-formed Unicode text'] };
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    const field = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) return { field, problems: [`property ${key} should not exist`] };
    if (LONE_SURROGATE.test(key)) return { field, problems: ['property names must be well-formed Unicode text'] };
    const problem = problemIn(child, field);
    if (problem) return problem;
  }
  return undefined;
}

function rejectUnsafeValues<T>(value: T): T {
  const problem = problemIn(value, '');
  if (problem) throw validationFailed([problem]);
  return value;
}
