import { request as httpRequest, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { GuardedLookup, refusedRange, RefusedAddressError } from './webhook-address';

/** How long a receiver has to answer, connection included. */
export const SEND_TIMEOUT_MS = 10_000;

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What a receiver answered (its status), or why there was no answer. */
export type SendOutcome = { ok: true; status: number } | { ok: false; status: number | null; reason: string };

/**
 * POSTs one signed webhook. The socket connects only to an address the lookup checked (an IP
 * literal is checked here: no lookup runs for it); a redirect is not followed (a 3xx is a failed
 * attempt); the answer's body is not read.
 */
export function sendWebhook(
  webhook: WebhookRequest,
  lookup: GuardedLookup,
  allowPrivate: boolean,
  timeoutMs = SEND_TIMEOUT_MS,
): Promise<SendOutcome> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(webhook.url);
    } catch {
      return resolve({ ok: false, status: null, reason: 'invalid URL' });
    }
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (isIP(host) && !allowPrivate) {
      const range = refusedRange(host);
      if (range) return resolve({ ok: false, status: null, reason: describe(new RefusedAddressError(range)) });
    }
    const options: RequestOptions = {
      method: 'POST',
      headers: {
        ...webhook.headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(webhook.body)),
        'user-agent': 'authd-webhooks',
      },
      lookup: lookup as RequestOptions['lookup'],
      // A fresh connection each time: a pooled one would skip the address check.
      agent: false,
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (outcome: SendOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = send(url, options, (res) => {
      // The status decides; the body is not read.
      const status = res.statusCode ?? 0;
      finish(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, reason: `HTTP ${status}` });
      res.on('error', () => undefined);
      res.destroy();
    });
    const timer = setTimeout(() => {
      finish({ ok: false, status: null, reason: `no answer within ${timeoutMs / 1000} s` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error) => finish({ ok: false, status: null, reason: describe(error) }));
    req.end(webhook.body);
  });
}

/** The error's code and message, short: never a body, never a header. */
function describe(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return `${typeof code === 'string' ? code : 'error'}: ${typeof message === 'string' ? message : ''}`.slice(0, 500);
}
