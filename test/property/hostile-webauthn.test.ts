// Hostile WebAuthn answers at every passkey endpoint (username-less sign-in, phr step-up, enrolment): generated from
// real authenticator output by replacing, deleting and retyping fields, or arbitrary JSON. Never a 5xx, a stack
// trace or a success; a known credential id is in most of them, since that is where a bad field used to crash.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { Browser, expectPage, type Step } from '../integration/harness/browser.ts';
import { createAccount, type TestAccount } from '../integration/harness/accounts.ts';
import { useProvider } from '../integration/harness/use-provider.ts';
import { CALLBACK } from '../integration/harness/rp.ts';

const TARGET = 3_000;
const TIME_LIMIT_MS = 60_000;
const FIELDS = ['id', 'rawId', 'type', 'response', 'clientExtensionResults', 'authenticatorAttachment'];
const RESPONSE_FIELDS = ['clientDataJSON', 'authenticatorData', 'signature', 'userHandle', 'attestationObject', 'transports', 'publicKey', 'publicKeyAlgorithm'];

const { provider, rp } = useProvider({ hostname: 'localhost' });
let owner: TestAccount;
let authn: SoftAuthenticator;
let credentialId: string;

beforeAll(async () => {
  owner = await createAccount(provider);
  authn = new SoftAuthenticator({ rpId: 'localhost', origin: provider.issuer });
  const browser = new Browser(CALLBACK);
  await rp.signIn(browser, owner);
  const page = await browser.request(`${provider.issuer}/account/passkey`);
  const challenge = (JSON.parse(expectPage(page).document.querySelector('#passkey-options')!.text) as { challenge: string }).challenge;
  await browser.submit(page, '/account/passkey', { response: JSON.stringify(authn.register({ challenge, userId: owner.id })), label: 'Key' });
  credentialId = (await provider.stores.authenticators.listByAccount(owner.id))[0]!.credentialId!;
  provider.clock.advance(provider.config.policy.recovery.coolOff);
}, 60_000);

const hostileValue = fc.oneof(
  fc.constantFrom<unknown>(5, -1, 0.5, true, false, null, {}, [], ['x'], { length: 1 }, '', ' ', 'not base64url!', '%00', '\u0000', 'é', '\u{1F600}', '__proto__', 'x'.repeat(70_000)),
  fc.string({ maxLength: 30 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** One generated answer: a real assertion or registration mutated, or arbitrary JSON. */
const answer = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('mutated' as const),
      edits: fc.array(
        fc.record({
          path: fc.oneof(
            fc.constantFrom(...FIELDS).map((name) => [name]),
            fc.constantFrom(...RESPONSE_FIELDS).map((name) => ['response', name]),
          ),
          remove: fc.boolean(),
          value: hostileValue,
        }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('arbitrary' as const), value: fc.jsonValue({ maxDepth: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('text' as const), value: fc.string({ maxLength: 200 }) }) },
);
type Answer = typeof answer extends fc.Arbitrary<infer T> ? T : never;

function build(generated: Answer, base: Record<string, unknown>): string {
  if (generated.kind === 'text') return generated.value;
  if (generated.kind === 'arbitrary') return JSON.stringify(generated.value);
  const copy = JSON.parse(JSON.stringify(base)) as Record<string, Record<string, unknown>>;
  for (const { path, remove, value } of generated.edits) {
    const holder = path.length === 2 ? (typeof copy.response === 'object' && copy.response !== null ? copy.response : (copy.response = {})) : (copy as Record<string, unknown>);
    const key = path.at(-1)!;
    if (remove) delete (holder as Record<string, unknown>)[key];
    else (holder as Record<string, unknown>)[key] = value;
  }
  return JSON.stringify(copy);
}

const seen = new Map<number, number>();
function check(step: Step, sent: string): void {
  const page = expectPage(step);
  seen.set(page.status, (seen.get(page.status) ?? 0) + 1);
  const described = `${page.url} ← ${sent.slice(0, 300)}`;
  if (page.status >= 500) throw new Error(`${page.status} for ${described}`);
  if (/\bat [^\n]+\.(ts|js):\d+/.test(page.html) || /TypeError|ReferenceError/.test(page.html)) throw new Error(`stack trace for ${described}`);
  if (page.status < 400) throw new Error(`accepted (${page.status}) ${described}`);
}

/** Each endpoint, ready for one post: the page with a live challenge, and the answer to mutate. */
const endpoints = {
  async signIn(browser: Browser) {
    const flow = await rp.start(browser);
    return { page: flow.step, action: '/passkey', base: authn.assert({ challenge: 'AAAA' }) as unknown as Record<string, unknown> };
  },
  async stepUp(browser: Browser) {
    const flow = await rp.start(browser, { acr_values: 'phr', max_age: '0' });
    return { page: flow.step, action: '/passkey', base: authn.assert({ challenge: 'AAAA' }) as unknown as Record<string, unknown> };
  },
  async enrol(browser: Browser) {
    const page = await browser.request(`${provider.issuer}/account/passkey`);
    return { page, action: '/account/passkey', base: authn.register({ challenge: 'AAAA', userId: owner.id }) as unknown as Record<string, unknown> };
  },
};

describe('hostile WebAuthn answers never yield a 5xx, a stack trace or a success', () => {
  it(`${TARGET} generated answers at the sign-in, step-up and enrolment passkey endpoints`, async () => {
    const signedIn = new Browser(CALLBACK);
    await rp.signIn(signedIn, owner);
    const anonymous = new Browser(CALLBACK);
    const enrolling = new Browser(CALLBACK);
    const fresh = await createAccount(provider);
    await rp.signIn(enrolling, fresh);
    let posts = 0;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('signIn', 'stepUp', 'enrol') as fc.Arbitrary<keyof typeof endpoints>, answer, fc.boolean(), async (where, generated, known) => {
        const browser = where === 'signIn' ? anonymous : where === 'stepUp' ? signedIn : enrolling;
        const { page, action, base } = await endpoints[where](browser);
        if (!known) base.id = base.rawId = 'dW5rbm93bi1jcmVkZW50aWFs';
        else if (where !== 'enrol') base.id = base.rawId = credentialId;
        const sent = build(generated, base);
        check(await browser.submit(page, action, { response: sent }), sent);
        posts += 1;
      }),
      { numRuns: TARGET, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    console.info(`hostile WebAuthn answers: ${posts} posts in ${((Date.now() - started) / 1000).toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries(seen))}`);
    expect(posts).toBeGreaterThanOrEqual(300);
    const passkeySuccesses = (await provider.stores.audit.query({ type: 'factor.verify', outcome: 'success', limit: 1000 })).filter((entry) => entry.event.factor === 'passkey');
    expect(passkeySuccesses).toEqual([]);
    expect(await provider.stores.authenticators.listByAccount(fresh.id)).toEqual([]);
  }, 120_000);
});
