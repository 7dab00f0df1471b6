// Node `(req, res, next)` middleware over the guard (Express-compatible): the verified token in req.auth.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Guard } from './guard.ts';
import type { Requirement, VerifiedToken } from './types.ts';

export type AuthenticatedRequest = IncomingMessage & { auth?: VerifiedToken };

export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** `const need = nodeGuard(guard); app.post('/transfer', need({ acr: 'phr', maxAge: 300 }), handler)` */
export function nodeGuard(guard: Guard) {
  return function need(requirement?: Requirement): NodeMiddleware {
    const protect = guard.protect(requirement);
    return function requireAuthentication(req, res, next) {
      protect(req.headers.authorization).then(
        (result) => {
          if (result.ok) {
            (req as AuthenticatedRequest).auth = result.token;
            next();
            return;
          }
          res.statusCode = result.status;
          for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
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
