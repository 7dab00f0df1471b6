// Test accounts created through the real stores: a password, and optionally an enrolled TOTP authenticator.
import { randomUUID } from 'node:crypto';
import { TOTP } from 'otpauth';
import { encryptSecret, generateTotpSecret, hashPassword } from '../../../authenticators/index.ts';
import { totpKeyring } from '../../../config/keys.ts';
import type { RunningProvider } from './provider.ts';

export interface TestAccount {
  id: string;
  username: string;
  password: string;
  totpSecret?: string;
  /** The TOTP code at the provider's (test) clock; advance the clock 30 s between two uses. */
  code(): string;
}

export async function createAccount(provider: RunningProvider, options: { totp?: boolean } = {}): Promise<TestAccount> {
  const id = randomUUID();
  const username = `user-${id.slice(0, 8)}`;
  const password = `correct horse ${id.slice(0, 6)}`;
  await provider.stores.accounts.create({ id, username, passwordHash: await hashPassword(password, provider.config.password), createdAt: provider.clock.now() });
  const totpSecret = options.totp ? generateTotpSecret() : undefined;
  if (totpSecret) {
    await provider.stores.authenticators.add({
      id: randomUUID(),
      accountId: id,
      kind: 'totp',
      label: 'Test app',
      data: { secret: await encryptSecret(totpSecret, totpKeyring(provider.config.keys)) },
      createdAt: provider.clock.now(),
    });
  }
  return {
    id,
    username,
    password,
    totpSecret,
    code() {
      if (!totpSecret) throw new Error('this account has no TOTP');
      return new TOTP({ secret: totpSecret, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: provider.clock.now() * 1000 });
    },
  };
}
