// Operation-bound elevation (RFC 9396): the policy sets the level from the operation, the pages show it, the passkey
// challenge commits to it, the audit records it, and the token carries exactly it, for no longer than the operation.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import canonicalize from 'canonicalize';
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { listAudit } from '../../cli/audit-commands.ts';
import { Browser, expectCallback, expectPage, formOf, type Step } from './harness/browser.ts';
import { createAccount, type TestAccount } from './harness/accounts.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK, relyingParty, type Flow } from './harness/rp.ts';

// Operators allow each client the operation types it may ask for (`client add --operation-type`).
const { provider, rp } = useProvider({ hostname: 'localhost' }, { authorization_details_types: ['payment', 'account_deletion'] });

function payment(amount: string, creditorName = 'ACME Ltd', currency = 'EUR') {
  return [{ type: 'payment', instructedAmount: { currency, amount }, creditorName, creditorAccount: { iban: 'DE89370400440532013000' } }];
}

function params(details: unknown, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization_details: JSON.stringify(details), resource: provider.api, scope: 'openid api:write', ...extra };
}

function text(step: Step): string {
  return expectPage(step).document.querySelector('main')?.text ?? expectPage(step).document.text;
}

/** Exchanges the code with a DPoP proof, as operation tokens require. */
async function redeem(flow: Flow, callback: URL, extra: Record<string, string> = {}) {
  const dpop = oidc.getDPoPHandle(rp.config, await oidc.randomDPoPKeyPair());
  return oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce }, extra, { DPoP: dpop });
}

/** Approves on the consent page (every request with authorization_details ends on it). */
async function approve(browser: Browser, step: Step): Promise<URL> {
  expect(formOf(step)).toBe('consent');
  return expectCallback(await browser.submit(step, '/consent', {}));
}

async function signedInWithTotp(): Promise<{ account: TestAccount; browser: Browser }> {
  const account = await createAccount(provider, { totp: true });
  const browser = new Browser(CALLBACK);
  await rp.signIn(browser, account);
  // A fresh TOTP code: the sign-in above may have used this period's.
  provider.clock.advance(30);
  return { account, browser };
}

describe('a payment sent as authorization_details', () => {
  it('of 50 EUR asks an aal1 session for the code on a page that shows the payment, then for approval, and the token carries it', async () => {
    const { account, browser } = await signedInWithTotp();
    const details = payment('50.00');
    const flow = await rp.start(browser, params(details));
    expect(formOf(flow.step)).toBe('otp');
    expect(text(flow.step)).toContain('Pay 50.00 EUR to ACME Ltd');
    expect(text(flow.step)).toContain('DE89370400440532013000');

    const consent = await browser.submit(flow.step, '/otp', { code: account.code() });
    expect(text(consent)).toContain('Pay 50.00 EUR to ACME Ltd');
    expect(expectPage(consent).document.querySelector('form[action$="/consent"] button')?.text).toBe('Approve');
    const tokens = await redeem(flow, await approve(browser, consent));

    expect(tokens.authorization_details).toEqual(details);
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ authorization_details: details, acr: 'aal2', aud: provider.api });
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
    expect(tokens.claims()!.acr).toBe('aal2');
  });

  it('lives 120 s and is bound to the DPoP key (the payment type says so); without a DPoP proof the code is refused, and still redeemable with one', async () => {
    const { account, browser } = await signedInWithTotp();
    const flow = await rp.start(browser, params(payment('60.00')));
    const callback = await approve(browser, await browser.submit(flow.step, '/otp', { code: account.code() }));
    const bare = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce }).catch((error: unknown) => error);
    expect(bare).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('operation payment') });
    const keys = await oidc.randomDPoPKeyPair();
    const tokens = await oidc.authorizationCodeGrant(
      rp.config,
      callback,
      { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce },
      {},
      { DPoP: oidc.getDPoPHandle(rp.config, keys) },
    );
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(tokens.expires_in).toBe(120);
    const claims = decodeJwt(tokens.access_token);
    expect(claims.exp! - claims.iat!).toBe(120);
    expect((claims.cnf as { jkt?: string } | undefined)?.jkt).toBe(await calculateJwkThumbprint(await exportJWK(keys.publicKey)));
  });

  it('gets no refresh token, even with offline_access', async () => {
    const { account, browser } = await signedInWithTotp();
    const flow = await rp.start(browser, params(payment('20.00'), { scope: 'openid offline_access api:write', prompt: 'consent' }));
    const consent = await browser.submit(flow.step, '/otp', { code: account.code() });
    const tokens = await redeem(flow, await approve(browser, consent));
    expect(tokens.refresh_token).toBeUndefined();
    // The same request without the operation gets one: it is the operation that withholds it.
    const plain = await rp.start(browser, { scope: 'openid offline_access api:write', resource: provider.api, prompt: 'consent' });
    const plainTokens = await rp.finish(plain, await approve(browser, plain.step));
    expect(plainTokens.refresh_token).toBeTruthy();
  });

  it('records in the audit what was approved (the hash of the canonical details, the type) and the level', async () => {
    const { account, browser } = await signedInWithTotp();
    const details = payment('30.00');
    const flow = await rp.start(browser, params(details));
    await redeem(flow, await approve(browser, await browser.submit(flow.step, '/otp', { code: account.code() })));
    const events = await provider.stores.audit.list({ accountId: account.id, limit: 100 });
    const approved = events.find((event) => event.type === 'policy.decision' && event.decision === 'satisfied' && event.operation);
    expect(approved).toMatchObject({
      achievedAcr: 'aal2',
      operation: { types: ['payment'], hash: createHash('sha256').update(canonicalize(details)!).digest('hex') },
    });
    // The operator's view: `audit list` shows the operation's types and the start of its hash.
    const lines: string[] = [];
    await listAudit(provider.stores, provider.config, { account: account.username, type: 'policy.decision', limit: 10 }, (line) => lines.push(line));
    expect(lines.join('\n')).toContain(`operation=payment#${approved!.operation!.hash.slice(0, 12)}`);
  });

  it('above 100 EUR needs a passkey: an account with a code only is refused, and acr_values=aal1 does not lower it', async () => {
    const { browser } = await signedInWithTotp();
    for (const extra of [{}, { acr_values: 'aal1' }, { acr_values: 'aal1', max_age: '999999' }] as Array<Record<string, string>>) {
      const flow = await rp.start(browser, params(payment('100.01'), extra));
      expect(expectCallback(flow.step).searchParams.get('error')).toBe('unmet_authentication_requirements');
    }
    // At the threshold itself the code is enough.
    const at = await rp.start(browser, params(payment('100.00')));
    expect(formOf(at.step)).toBe('otp');
  });

  it('in a currency the threshold does not name is held to the threshold (fail safe)', async () => {
    const { browser } = await signedInWithTotp();
    const flow = await rp.start(browser, params(payment('1.00', 'ACME Ltd', 'USD')));
    expect(expectCallback(flow.step).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it("shows the relying party's text escaped, never as HTML", async () => {
    const { browser } = await signedInWithTotp();
    const flow = await rp.start(browser, params(payment('10.00', '<img src=x onerror=alert(1)>')));
    const page = expectPage(flow.step);
    expect(page.html).not.toContain('<img src=x');
    expect(page.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('malformed or unknown operations', () => {
  it.each([
    ['an unknown type', [{ type: 'transfer_everything' }]],
    ['an amount as a number', [{ ...payment('1.00')[0], instructedAmount: { currency: 'EUR', amount: 500 } }]],
    ['a field the type does not declare', [{ ...payment('1.00')[0], hidden: 'not shown to the user' }]],
    ['a missing required field', [{ type: 'payment', instructedAmount: { currency: 'EUR', amount: '1.00' } }]],
    ['a lower-case currency', payment('1.00', 'ACME Ltd', 'eur')],
    ['a right-to-left override in the creditor name', payment('1.00', 'ACME \u202Etd')],
    ['a newline in the creditor name', payment('1.00', 'ACME\nLtd')],
    ['a zero-width space in the creditor name', payment('1.00', 'AC\u200BME Ltd')],
    ['a Hangul filler as the creditor name', payment('1.00', '\u3164')],
    ['a creditor name of spaces only', payment('1.00', '   ')],
    ['a lone surrogate in the creditor name', payment('1.00', 'ACME \ud800')],
    ['a Braille blank as the creditor name', payment('1.00', '\u2800')],
    ['a combining grapheme joiner in the creditor name', payment('1.00', 'AC\u034FME')],
    ['a strike-through overlay in the creditor name', payment('1.00', 'A\u0336CME')],
    ['a creditor name not in NFC', payment('1.00', 'Mu\u0308ller')],
    ['a private-use character in the creditor name', payment('1.00', 'ACME \uE000')],
    ['a right-to-left override in a location', [{ ...payment('1.00')[0], locations: ['https://evil.example/\u202Eelpmaxe.knab//:sptth'] }]],
    ['a member that is not an object', ['payment']],
  ])('%s is refused with invalid_authorization_details', async (_name, details) => {
    const { browser } = await signedInWithTotp();
    const flow = await rp.start(browser, params(details));
    expect(expectCallback(flow.step).searchParams.get('error')).toMatch(/^invalid_(authorization_details|request)$/);
    if (_name !== 'a member that is not an object') expect(expectCallback(flow.step).searchParams.get('error')).toBe('invalid_authorization_details');
  });

  it('a lone surrogate in an essential acr value is refused with invalid_request, never a 500', async () => {
    const { browser } = await signedInWithTotp();
    const flow = await rp.start(browser, { claims: '{"id_token":{"acr":{"essential":true,"value":"\\ud800"}}}' });
    expect(expectCallback(flow.step).searchParams.get('error')).toBe('invalid_request');
  });

  it('a lone surrogate or a changed detail at the token endpoint is refused before the code is used: the code still redeems as approved', async () => {
    const { account, browser } = await signedInWithTotp();
    const details = payment('45.00');
    const flow = await rp.start(browser, params(details));
    const callback = await approve(browser, await browser.submit(flow.step, '/otp', { code: account.code() }));
    for (const asked of ['[{"type":"payment","creditorName":"\\ud800"}]', JSON.stringify(payment('4500.00'))]) {
      const refused = await redeem(flow, callback, { authorization_details: asked, resource: provider.api }).catch((error: unknown) => error);
      expect(refused).toMatchObject({ error: 'invalid_authorization_details' });
    }
    const tokens = await redeem(flow, callback, { authorization_details: JSON.stringify(details), resource: provider.api });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ authorization_details: details });
  });

  it('a client not registered for the operation type is refused', async () => {
    const other = await relyingParty(provider);
    const flow = await other.start(new Browser(CALLBACK), params(payment('1.00')));
    expect(expectCallback(flow.step).searchParams.get('error')).toBe('invalid_authorization_details');
  });

  it('tells nothing about the approved operation to a party holding the code without its PKCE verifier', async () => {
    const { account, browser } = await signedInWithTotp();
    const flow = await rp.start(browser, params(payment('55.00')));
    const callback = await approve(browser, await browser.submit(flow.step, '/otp', { code: account.code() }));
    const stolen = { ...flow, verifier: oidc.randomPKCECodeVerifier() };
    const answers = [];
    for (const guess of [payment('55.00'), payment('56.00')]) {
      const refused = await redeem(stolen, callback, { authorization_details: JSON.stringify(guess), resource: provider.api }).catch((error: unknown) => error);
      answers.push((refused as { error?: string }).error);
    }
    // The same answer for the right and the wrong guess: the code's, not the details'.
    expect(answers).toEqual(['invalid_grant', 'invalid_grant']);
  });

  it('a token request cannot change the approved details', async () => {
    const { account, browser } = await signedInWithTotp();
    const flow = await rp.start(browser, params(payment('40.00')));
    const callback = await approve(browser, await browser.submit(flow.step, '/otp', { code: account.code() }));
    const refused = await redeem(flow, callback, { authorization_details: JSON.stringify(payment('4000.00')), resource: provider.api }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ error: 'invalid_authorization_details' });
  });
});

describe('a passkey approving an operation', () => {
  function options(step: Step): { challenge: string } {
    return JSON.parse(expectPage(step).document.querySelector('#passkey-options')!.text);
  }

  async function withPasskey(): Promise<{ browser: Browser; authn: SoftAuthenticator }> {
    const { account, browser } = await signedInWithTotp();
    const authn = new SoftAuthenticator({ rpId: 'localhost', origin: provider.issuer });
    const aal2 = await rp.start(browser, { acr_values: 'aal2' });
    expectCallback(await browser.submit(aal2.step, '/otp', { code: account.code() }));
    const page = await browser.request(`${provider.issuer}/account/passkey`);
    const registered = authn.register({ challenge: options(page).challenge, userId: account.id });
    expect(expectPage(await browser.submit(page, '/account/passkey', { response: JSON.stringify(registered), label: 'Soft key' })).html).toContain('Your passkey is ready.');
    provider.clock.advance(provider.config.policy.recovery.coolOff);
    return { browser, authn };
  }

  it('signs a challenge that commits to the operation, and its assertion cannot approve another one', async () => {
    const { browser, authn } = await withPasskey();
    const first = payment('500.00');
    const flowA = await rp.start(browser, params(first));
    expect(text(flowA.step)).toContain('Pay 500.00 EUR to ACME Ltd');
    const challenge = Buffer.from(options(flowA.step).challenge, 'base64url');
    expect(challenge.subarray(16)).toEqual(createHash('sha256').update(canonicalize(first)!).digest());

    // The same user, another payment, another tab: the assertion made for the first one is refused there.
    const flowB = await rp.start(browser, params(payment('5000.00', 'Mallory')));
    const assertionA = JSON.stringify(authn.assert({ challenge: options(flowA.step).challenge }));
    const refused = expectPage(await browser.submit(flowB.step, '/passkey', { response: assertionA }));
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);

    // The first payment, with its own assertion, goes through at phr and carries only itself.
    const tokens = await redeem(flowA, await approve(browser, await browser.submit(flowA.step, '/passkey', { response: assertionA })));
    expect(decodeJwt(tokens.access_token)).toMatchObject({ acr: 'phr', authorization_details: first });
  });

  it('a second payment within the 300 s needs its own passkey, from the same client or another one (dynamic linking)', async () => {
    const { browser, authn } = await withPasskey();
    const flowA = await rp.start(browser, params(payment('500.00')));
    const consentA = await browser.submit(flowA.step, '/passkey', { response: JSON.stringify(authn.assert({ challenge: options(flowA.step).challenge })) });
    await redeem(flowA, await approve(browser, consentA));
    provider.clock.advance(60);

    // Not one click on the approval page: the passkey page again, showing the new payment, with its own challenge.
    const second = payment('5000.00', 'Mallory');
    const flowB = await rp.start(browser, params(second));
    expect(formOf(flowB.step)).toBe('other');
    expect(text(flowB.step)).toContain('Pay 5000.00 EUR to Mallory');
    expect(Buffer.from(options(flowB.step).challenge, 'base64url').subarray(16)).toEqual(createHash('sha256').update(canonicalize(second)!).digest());
    const other = await relyingParty(provider, { authorization_details_types: ['payment'], client_name: 'Other shop' });
    const flowC = await other.start(browser, params(payment('9999.99', 'Mallory')));
    expect(formOf(flowC.step)).toBe('other');
    expect(expectPage(flowC.step).document.querySelector('#passkey-options')).toBeTruthy();
  });
});

describe('the audit of an operation', () => {
  it('names the operation on the factor proven for it, and on a satisfied decision only once the user approved it', async () => {
    const { account, browser } = await signedInWithTotp();
    const details = payment('42.00', 'Cancelled Ltd');
    const hash = createHash('sha256').update(canonicalize(details)!).digest('hex');
    const flow = await rp.start(browser, params(details));
    const consent = await browser.submit(flow.step, '/otp', { code: account.code() });
    expect(formOf(consent)).toBe('consent');
    expect(expectCallback(await browser.submit(consent, '/abort', {})).searchParams.get('error')).toBe('access_denied');
    const events = (await provider.stores.audit.list({ accountId: account.id, limit: 200 })).filter((event) => (event as { operation?: { hash: string } }).operation?.hash === hash);
    expect(events.map((event) => [event.type, (event as { decision?: string }).decision ?? event.outcome])).toEqual(
      expect.arrayContaining([
        ['factor.verify', 'success'],
        ['policy.decision', 'step_up'],
      ]),
    );
    // Cancelled on the approval page: no satisfied decision names it.
    expect(events.filter((event) => event.type === 'policy.decision' && (event as { decision?: string }).decision === 'satisfied')).toEqual([]);
  });
});
