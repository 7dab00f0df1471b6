// The transfer form as an RFC 9396 payment: the authorization_details the RP sends, and the body it sends the API.

/** The `payment` detail the provider's policy declares (config/ladder.ts): amounts as decimal strings, an IBAN without spaces. */
export interface PaymentDetail {
  type: 'payment';
  instructedAmount: { currency: string; amount: string };
  creditorName: string;
  creditorAccount: { iban: string };
}

/** What `POST /transfer` at the demo API takes: the same values, flat. */
export interface TransferBody extends Record<string, string> {
  amount: string;
  currency: string;
  creditorName: string;
  iban: string;
}

export type PaymentError = 'invalid_amount' | 'invalid_creditor' | 'invalid_iban';

export const PAYMENT_ERRORS: Record<PaymentError, string> = {
  invalid_amount: 'The amount must be a positive number of euros with at most two decimals, up to 9 999 999.99.',
  invalid_creditor: 'The recipient must be 1 to 64 letters, digits, spaces or . @ - _',
  invalid_iban: 'The IBAN must be 2 letters, 2 digits and 11 to 30 letters or digits (spaces are dropped).',
};

const CURRENCY = 'EUR';

/** "25", "25.5", "25.50" → "25.50": the one form the token carries and the API compares, exactly. */
export function normalizeAmount(value: string): string | undefined {
  const text = value.trim();
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(text)) return undefined;
  const [whole = '0', fraction = ''] = text.split('.');
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  if (cents <= 0) return undefined;
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** The form's fields as a transfer, or what is wrong with them (checked here so the user is told before any redirect). */
export function transferFromForm(form: Record<string, unknown>): TransferBody | PaymentError {
  const amount = normalizeAmount(String(form.amount ?? '').slice(0, 16));
  if (amount === undefined) return 'invalid_amount';
  const creditorName = String(form.creditorName ?? '').trim();
  if (!/^[\w .@-]{1,64}$/.test(creditorName)) return 'invalid_creditor';
  const iban = String(form.iban ?? '')
    .replace(/\s+/g, '')
    .toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return 'invalid_iban';
  return { amount, currency: CURRENCY, creditorName, iban };
}

/** The authorization_details of one transfer: what the user approves at the provider, and what the token will carry. */
export function paymentDetails(transfer: TransferBody): PaymentDetail[] {
  return [
    {
      type: 'payment',
      instructedAmount: { currency: transfer.currency, amount: transfer.amount },
      creditorName: transfer.creditorName,
      creditorAccount: { iban: transfer.iban },
    },
  ];
}

/** "transfer 25.00 EUR to ACME Ltd". */
export function transferLabel(transfer: TransferBody): string {
  return `transfer ${transfer.amount} ${transfer.currency} to ${transfer.creditorName}`;
}

/** The same transfer, ten times the amount: what a stolen or reused token would be tried for. */
export function tenfold(transfer: TransferBody): TransferBody {
  const [whole = '0', fraction = '00'] = transfer.amount.split('.');
  const cents = (Number(whole) * 100 + Number(fraction)) * 10;
  return { ...transfer, amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}` };
}
