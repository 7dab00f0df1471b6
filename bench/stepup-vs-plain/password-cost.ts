// Password hashing alone, at the production scrypt parameters: excluded from the flows because it is slow on purpose.
import { availableParallelism } from 'node:os';
import { DEFAULT_PASSWORD_PARAMS, hashPassword, verifyPasswordHash } from '../../authenticators/index.ts';
import { PRODUCT_BENCH_SCRYPT_N } from './agreed.ts';
import { runLoad, type LoadResult } from './load.ts';

const MAX_PER_RUN = 200;
const MAX_MS_PER_RUN = 8_000;

export interface PasswordCost {
  params: { N: number; r: number; p: number; keylen: number };
  hash: LoadResult;
  /** Verifications from 1 caller, then as many as CPUs (libuv's pool runs up to 4 at once). */
  verify: LoadResult[];
  /** CPU time (all threads, ms) of one verification at these parameters, and at the bench server's cheap N. */
  verifyCpuMs: number;
  benchVerifyCpuMs: number;
}

export async function measurePasswordCost(): Promise<PasswordCost> {
  const password = 'correct horse battery staple';
  const encoded = await hashPassword(password, DEFAULT_PASSWORD_PARAMS);
  const bounds = { maxCount: MAX_PER_RUN, maxMs: MAX_MS_PER_RUN };
  const hash = await runLoad(async () => void (await hashPassword(password, DEFAULT_PASSWORD_PARAMS)), { concurrency: 1, ...bounds });
  const verify: LoadResult[] = [];
  for (const concurrency of [...new Set([1, availableParallelism()])]) {
    verify.push(
      await runLoad(
        async () => {
          if (!(await verifyPasswordHash(password, encoded))) throw new Error('the password did not verify');
        },
        { concurrency, ...bounds },
      ),
    );
  }
  const { N, r, p, keylen } = DEFAULT_PASSWORD_PARAMS;
  const cheap = await hashPassword(password, { ...DEFAULT_PASSWORD_PARAMS, N: PRODUCT_BENCH_SCRYPT_N });
  const cheapRun = await runLoad(async () => void (await verifyPasswordHash(password, cheap)), { concurrency: 1, ...bounds });
  return { params: { N, r, p, keylen }, hash, verify, verifyCpuMs: verify[0]!.clientCpuMs, benchVerifyCpuMs: cheapRun.clientCpuMs };
}
