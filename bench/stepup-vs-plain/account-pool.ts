// The product's accounts in rotation: each keeps its aal1 session (a browser) and spends each TOTP step once.
import { Secret, TOTP } from 'otpauth';
import { BENCH_AAL2_MAX_AGE } from './agreed.ts';
import type { Browser } from './browser.ts';
import type { SeededAccount } from './channel.ts';

const PERIOD = 30;
/** Between two flows of one account its aal2 must have expired, so that the second is asked for a code again. */
const MIN_GAP_MS = (BENCH_AAL2_MAX_AGE + 2) * 1000;

export interface PoolAccount extends SeededAccount {
  browser: Browser;
  totp: TOTP;
  /** The last time step whose code was sent (the server accepts each step once, and ±1 step around its clock). */
  usedStep: number;
  /** When its last flow finished (ms). */
  freeAt: number;
}

export function poolAccount(seeded: SeededAccount, browser: Browser): PoolAccount {
  const totp = new TOTP({ secret: Secret.fromBase32(seeded.totpSecret), algorithm: 'SHA1', digits: 6, period: PERIOD });
  return { ...seeded, browser, totp, usedStep: 0, freeAt: 0 };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class AccountPool {
  readonly #idle: PoolAccount[] = [];
  #total = 0;
  /** Time flows spent waiting for an account with a usable code: non-zero means the pool is too small for the rate. */
  waitedMs = 0;

  add(accounts: PoolAccount[]): void {
    this.#idle.push(...accounts);
    this.#total += accounts.length;
  }

  get size(): number {
    return this.#total;
  }

  /** The least recently used account and a code for a step it has not spent: the current one, or the next one early. */
  async take(): Promise<{ account: PoolAccount; code: string }> {
    const account = this.#idle.shift();
    if (!account) throw new Error('the account pool is empty: more concurrent flows than accounts');
    for (;;) {
      const now = Date.now();
      const current = Math.floor(now / 1000 / PERIOD);
      const step = Math.max(account.usedStep + 1, current);
      const waitMs = Math.max(account.freeAt + MIN_GAP_MS - now, step > current + 1 ? (step - 1) * PERIOD * 1000 - now : 0);
      if (waitMs <= 0) {
        account.usedStep = step;
        return { account, code: account.totp.generate({ timestamp: step * PERIOD * 1000 }) };
      }
      this.waitedMs += waitMs;
      await sleep(waitMs);
    }
  }

  give(account: PoolAccount): void {
    account.freeAt = Date.now();
    this.#idle.push(account);
  }
}
