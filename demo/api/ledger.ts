// The demo API's money: balances in cents per subject, kept in memory, with the one rule a transfer must obey.
const OPENING_BALANCE_CENTS = 100_000;
const MAX_ACCOUNTS = 10_000;

export interface Transfer {
  id: string;
  creditorName: string;
  iban: string;
  cents: number;
  at: number;
}

export type TransferError = 'invalid_amount' | 'invalid_recipient' | 'insufficient_funds';

/** "25", "25.5" or "25.50" euros as cents; anything else (negative, more decimals, exponent) is undefined. */
export function parseAmount(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,7}(\.\d{1,2})?$/.test(text.trim())) return undefined;
  const [whole, fraction = ''] = text.trim().split('.');
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return cents > 0 ? cents : undefined;
}

export function formatCents(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export class Ledger {
  private readonly balances = new Map<string, number>();
  private sequence = 0;

  balance(sub: string): number {
    return this.balances.get(sub) ?? OPENING_BALANCE_CENTS;
  }

  /** Euros only: another currency is an invalid amount. */
  transfer(sub: string, to: { creditorName: unknown; iban: unknown }, amount: unknown, currency: unknown = 'EUR'): Transfer | TransferError {
    const cents = parseAmount(amount);
    if (cents === undefined || currency !== 'EUR') return 'invalid_amount';
    const { creditorName, iban } = to;
    if (typeof creditorName !== 'string' || !/^[\w .@-]{1,64}$/.test(creditorName.trim())) return 'invalid_recipient';
    if (typeof iban !== 'string' || !/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return 'invalid_recipient';
    const balance = this.balance(sub);
    if (cents > balance) return 'insufficient_funds';
    // Bounded memory: the oldest account resets to the opening balance (a demo, not a bank).
    if (!this.balances.has(sub) && this.balances.size >= MAX_ACCOUNTS) this.balances.delete(this.balances.keys().next().value!);
    this.balances.set(sub, balance - cents);
    this.sequence += 1;
    return { id: `t-${this.sequence}`, creditorName: creditorName.trim(), iban, cents, at: Math.floor(Date.now() / 1000) };
  }
}
