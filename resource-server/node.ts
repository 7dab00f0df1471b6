// Node `(req, res, next)` middleware over the guard (Express-compatible): the verified token in req.auth.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Guard } from './guard.ts';
import type { Requirement, VerifiedToken } from './types.ts';

export type AuthenticatedRequest = IncomingMessage & { auth?: VerifiedToken; body?: unknown };

export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** The URL as this server received it; behind a proxy, the guard's `origin` option supplies the external origin. */
function requestUrl(req: IncomingMessage): string {
  const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  // Express rewrites req.url inside mounted routers; originalUrl keeps the path the client addressed.
  const path = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  return `${scheme}://${req.headers.host ?? 'localhost'}${path}`;
}

/** `const need = nodeGuard(guard); app.post('/transfer', need({ acr: 'phr', maxAge: 300 }), handler)` */
export function nodeGuard(guard: Guard) {
  return function need(requirement?: Requirement): NodeMiddleware {
    const protect = guard.protect(requirement);
    return function requireAuthentication(req, res, next) {
      protect({
        authorization: req.headers.authorization,
        dpop: req.headers.dpop,
        method: req.method,
        url: requestUrl(req),
        // Set by a body parser mounted before the guard (express.json()), for operation matchers.
        body: (req as AuthenticatedRequest).body,
      }).then(
        (result) => {
          for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
          if (result.ok) {
            (req as AuthenticatedRequest).auth = result.token;
            next();
            return;
          }
          res.statusCode = result.status;
          res.setHeader('Cache-Control', 'no-store');
          res.setHeader('Content-Type', 'application/json; charset=utf-8');
          res.end(JSON.stringify(result.body));
        },
        // Only configuration errors reach here (a bad token is a result): the framework's error handler reports them.
        (error: unknown) => next(error),
      );
    };
  };
}
