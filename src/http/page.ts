import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/** The pages' only style, allowed by its hash: no other style, no script, no frame, nothing from elsewhere. */
const STYLE = [
  'body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}',
  'label{display:block;margin:1rem 0 .25rem;font-weight:600}',
  'input{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #767676;border-radius:4px}',
  'button{font:inherit;margin-top:1.25rem;padding:.5rem 1rem}',
  '[role=alert]{color:#a00000}',
].join('');

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

export const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${STYLE_HASH}'`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Page {
  title: string;
  /** Trusted HTML: every interpolated value must pass through escapeHtml. */
  body: string;
  status?: number;
  /**
   * The reset form posts to its own origin: under `no-referrer` a browser sends `Origin: null` with
   * a form post, so that page says `same-origin` (its address never holds the token).
   */
  referrerPolicy?: 'no-referrer' | 'same-origin';
}

/** Sends one small HTML page with the headers every built-in page carries. */
export function sendPage(reply: FastifyReply, page: Page): void {
  void reply
    .status(page.status ?? 200)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Content-Security-Policy', PAGE_CSP)
    // For browsers that predate frame-ancestors.
    .header('X-Frame-Options', 'DENY')
    .header('Referrer-Policy', page.referrerPolicy ?? 'no-referrer')
    .header('Cache-Control', 'no-store')
    .header('X-Content-Type-Options', 'nosniff')
    .send(
      `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
        `<meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>${escapeHtml(page.title)}</title><style>${STYLE}</style></head>` +
        `<body><main><h1>${escapeHtml(page.title)}</h1>${page.body}</main></body></html>\n`,
    );
}

/**
 * Where a mailed link's token waits between the link and the page: HttpOnly, SameSite=Lax (a link
 * opened from webmail is a cross-site navigation, which a Strict cookie would not follow), only
 * for the page's own path, for ten minutes. The link's GET moves it here and redirects to the bare
 * path, so the address bar and the history never keep it.
 */
export class TokenCookie {
  constructor(
    readonly name: string,
    private readonly path: string,
    private readonly secure: boolean,
  ) {}

  set(reply: FastifyReply, token: string): void {
    reply.header('Set-Cookie', this.serialize(encodeURIComponent(token), 'Max-Age=600'));
  }

  clear(reply: FastifyReply): void {
    reply.header('Set-Cookie', this.serialize('', 'Max-Age=0'));
  }

  private serialize(value: string, age: string): string {
    return `${this.name}=${value}; Path=${this.path}; ${age}; HttpOnly${this.secure ? '; Secure' : ''}; SameSite=Lax`;
  }
}
