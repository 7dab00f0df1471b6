// What each authenticator error tells the person signing in, and the HTTP status of that page.
import type { AuthError } from '../authenticators/index.ts';

export function messageFor(error: AuthError, factor: 'pwd' | 'otp'): { status: number; message: string } {
  switch (error.code) {
    case 'invalid_credentials':
      return { status: 401, message: factor === 'pwd' ? 'Wrong username or password.' : 'That code is not right. Check your authenticator app and try again.' };
    case 'replayed':
      return { status: 401, message: 'That code was already used. Wait for the next code and enter it.' };
    case 'throttled':
      return { status: 429, message: `Too many failed attempts. Wait ${error.retryAfter ?? 1} seconds, then try again.` };
    case 'locked':
      return { status: 429, message: 'This account is locked after too many failed attempts. Contact your administrator to unlock it.' };
    case 'invalid_input':
      return { status: 400, message: factor === 'pwd' ? 'Enter your username and password.' : 'Enter the 6-digit code from your authenticator app.' };
    case 'not_enrolled':
      return { status: 400, message: 'No authenticator app is set up for this account.' };
  }
}
