import cors from 'cors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * CORS for APP_URL and CORS_ORIGINS, with credentials, exposing X-Session-Token. A request without
 * an Origin header (not from a browser's cross-origin fetch) skips the CORS machinery entirely: it
 * only needs the Vary header that keeps caches honest.
 */
export function corsFor(trustedOrigins: string[]): RequestHandler {
  const allowed = new Set(trustedOrigins);
  const handler = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    exposedHeaders: ['X-Session-Token', 'X-Request-Id', 'Retry-After'],
  });
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.headers.origin === undefined) {
      res.vary('Origin');
      next();
      return;
    }
    handler(req, res, next);
  };
}
