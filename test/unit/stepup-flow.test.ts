// The step-up flow service on its own, without koa or oidc-provider: begin and submit give a page or the result, the
// account is read once per request, and the Check's handed decision is used instead of a new assessment.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTP } from 'otpauth';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import type { Stores } from '../../adapters/types.ts';
import { encryptSecret, generateTotpSecret, hashPassword } from '../../authenticators/index.ts';
import { loadConfig, type AppConfig } from '../../config/index.ts';
import { totpKeyring } from '../../config/keys.ts';
import { createAssessor } from '../../stepup/assessment.ts';
import { stepUpFlow, type FlowInteraction, type StepUpFlow } from '../../stepup/flow.ts';
import { stepUpChecker } from '../../stepup/check.ts';
import type { StepUpResult } from '../../stepup/progress.ts';

const T0 = 1_900_000_000;
let dir: string;
let stores: Stores;
let config: AppConfig;
let now = T0;
let flow: StepUpFlow;
const reads = new Map<string, number>();

/** Counts the reads the flow makes, by store method. */
function counting(inner: Stores): Stores {
  const wrap = <T extends object>(name: string, store: T): T =>
    new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const key = `${name}.${String(property)}`;
          reads.set(key, (reads.get(key) ?? 0) + 1);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return { ...inner, accounts: wrap('accounts', inner.accounts), authenticators: wrap('authenticators', inner.authenticators), events: wrap('events', inner.events) };
}

async function account(): Promise<{ id: string; code: () => string }> {
  const id = randomUUID();
  await stores.accounts.create({ id, username: `u-${id.slice(0, 8)}`, passwordHash: await hashPassword('correct horse battery', config.password), createdAt: now });
  const secret = generateTotpSecret();
  await stores.authenticators.add({ id: randomUUID(), accountId: id, kind: 'totp', label: 'app', data: { secret: await encryptSecret(secret, totpKeyring(config.keys)) }, createdAt: now - 3600 });
  // Signed in with the password a minute ago: the session is at aal1.
  await stores.events.append('session-' + id, [{ id: randomUUID(), accountId: id, factor: 'pwd', amr: ['pwd'], at: now - 60 }], now + 3600);
  return { id, code: () => new TOTP({ secret, digits: 6, period: 30 }).generate({ timestamp: now * 1000 }) };
}

function interaction(accountId: string, saved: StepUpResult[], extra: Partial<FlowInteraction> = {}): FlowInteraction {
  return {
    params: { scope: 'openid', acr_values: 'aal2' },
    client: { clientId: 'rp', name: 'Relying party', policy: { clientId: 'rp' } },
    session: { uid: 'session-' + accountId, accountId },
    progress: { accountId, events: [] },
    clientAddress: '127.0.0.1',
    save: async (progress) => void saved.push(progress),
    ...extra,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stepup-flow-'));
  config = await loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, ISSUER: 'http://127.0.0.1:1', STEPUP_SCRYPT_N: '1024', LOG_LEVEL: 'silent' });
  stores = counting(openSqliteStores({ file: join(dir, 'stepup.sqlite'), now: () => now }));
  flow = stepUpFlow({
    config,
    stores,
    assess: createAssessor(stores, config.policy),
    keyring: totpKeyring(config.keys),
    now: () => now,
    revokeAccess: async () => ({ sessions: 0, grants: 0, tokens: 0, notified: 0, failed: [] }),
  });
});

afterAll(async () => {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the step-up flow service', () => {
  it('begins an aal2 step-up of an aal1 session with the code page only, and finishes on the right code with the login and its events', async () => {
    const { id, code } = await account();
    const saved: StepUpResult[] = [];
    const begun = await flow.begin(interaction(id, saved));
    expect(begun).toMatchObject({ kind: 'page', page: { factor: 'otp', why: expect.stringContaining('two-step verification') } });
    // The code page holds nothing the next request needs: nothing is written.
    expect(saved).toEqual([]);

    const wrong = await flow.submit(interaction(id, saved), { factor: 'otp', code: '000000' === code() ? '111111' : '000000' });
    expect(wrong).toMatchObject({ kind: 'page', status: 401, page: { factor: 'otp', error: expect.stringContaining('not right') } });

    now += 30;
    const done = await flow.submit(interaction(id, saved), { factor: 'otp', code: code() });
    expect(done.kind).toBe('finish');
    const result = (done as unknown as { result: { login: { accountId: string; ts: number }; stepup: StepUpResult } }).result;
    expect(result.login).toMatchObject({ accountId: id });
    expect(result.login).not.toHaveProperty('acr');
    expect(result.stepup.events.map((event) => event.factor)).toEqual(['otp']);
    expect(result.stepup.finishedAt).toBe(now);
  });

  it('reads the account, its authenticators and the session events at most once per request', async () => {
    const { id, code } = await account();
    now += 30;
    reads.clear();
    await flow.submit(interaction(id, []), { factor: 'otp', code: code() });
    // One submission: the verification, the cool-off check, the decision and the page share one snapshot.
    expect(reads.get('accounts.findById')).toBe(1);
    expect(reads.get('authenticators.listByAccount')).toBe(1);
    expect(reads.get('authenticators.get') ?? 0).toBe(0);
    expect(reads.get('events.listBySession')).toBe(1);
  });

  it("uses the Check's handed decision for the first page instead of assessing again", async () => {
    const { id } = await account();
    reads.clear();
    const handed = { outcome: 'step_up' as const, acr: 'aal2', level: config.policy.ladder[1]!, factors: ['otp' as const], reason: 'handed' };
    const begun = await flow.begin(interaction(id, [], { handed }));
    expect(begun).toMatchObject({ kind: 'page', page: { factor: 'otp' } });
    expect(reads.get('events.listBySession') ?? 0).toBe(0);
    expect(reads.get('authenticators.listByAccount') ?? 0).toBe(0);
  });

  it('finishes with the standard error when the account cannot reach the level, and with invalid_request for a bad request', async () => {
    const { id } = await account();
    expect(await flow.begin(interaction(id, [], { params: { scope: 'openid', acr_values: 'phr' } }))).toEqual({
      kind: 'finish',
      result: { error: 'unmet_authentication_requirements', error_description: 'the requested authentication level cannot be met for this account' },
    });
    expect(await flow.begin(interaction(id, [], { params: { scope: 'openid', acr_values: 'aal2', max_age: '-1' } }))).toMatchObject({ kind: 'finish', result: { error: 'invalid_request' } });
  });

  it("the authorization endpoint's check uses the account oidc-provider already read, and reports a satisfied level", async () => {
    const { id } = await account();
    const check = stepUpChecker({ assess: createAssessor(stores, config.policy), stores, eventTtl: 3600, now: () => now });
    const record = await stores.accounts.findById(id);
    reads.clear();
    const outcome = await check({ params: { scope: 'openid', acr_values: 'aal1' }, client: { clientId: 'rp' }, session: { uid: 'session-' + id, accountId: id }, account: record });
    expect(outcome).toMatchObject({ kind: 'satisfied', decision: { acr: 'aal1' } });
    expect(reads.get('accounts.findById') ?? 0).toBe(0);
    const disabled = { ...record!, disabledAt: now };
    expect(await check({ params: { scope: 'openid' }, client: { clientId: 'rp' }, session: { uid: 'session-' + id, accountId: id }, account: disabled })).toMatchObject({
      kind: 'refused',
      error: 'access_denied',
    });
  });
});
