// Operator lifecycle against the running provider: after a reset, a password change, a disable or a sessions revoke,
// what the account held before is cut off over HTTP, and relying parties got a valid back-channel logout token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableUser, enableUser, setPassword } from '../../cli/lifecycle-commands.ts';
import { resetUser } from '../../cli/reset-user.ts';
import { revokeSessions } from '../../cli/session-commands.ts';
import { TOTP } from 'otpauth';
import { Browser, expectCallback, expectPage } from './harness/browser.ts';
import { createAccount, type TestAccount } from './harness/accounts.ts';
import { expectCutOff, expectStillHeld, holdings, logoutReceiver, type LogoutReceiver } from './harness/cut-off.ts';
import { startProvider, type RunningProvider } from './harness/provider.ts';
import { CALLBACK, relyingParty, type RelyingParty } from './harness/rp.ts';

let provider: RunningProvider;
let rp: RelyingParty;
let receiver: LogoutReceiver;
const operator = { operator: 'alice-ops', reason: 'ticket 4711' };

beforeAll(async () => {
  provider = await startProvider();
  receiver = await logoutReceiver(provider);
  rp = await relyingParty(provider, { backchannel_logout_uri: receiver.uri, backchannel_logout_session_required: true });
});
afterAll(async () => {
  await receiver?.close();
  await provider?.close();
});

const lines: string[] = [];
const out = (line: string) => void lines.push(line);

async function logoutTokensFor(account: TestAccount, from: number) {
  return Promise.all(receiver.received.slice(from).map((token) => receiver.verify(token, rp.clientId))).then((claims) => claims.filter((claim) => claim.sub === account.id));
}

describe.each([
  ['user reset', (account: TestAccount) => resetUser(provider.stores, provider.config, { username: account.username, ...operator }, out)],
  ['user password', (account: TestAccount) => setPassword(provider.stores, provider.config, { username: account.username, password: 'a brand new password', ...operator }, out)],
  ['user disable', (account: TestAccount) => disableUser(provider.stores, provider.config, { username: account.username, ...operator }, out)],
  ['user sessions revoke', (account: TestAccount) => revokeSessions(provider.stores, provider.config, { username: account.username, ...operator }, out)],
])('after %s', (_name, change) => {
  it('refresh tokens and opaque access tokens from before are refused, other browsers sign in again, the RP was told; other accounts keep theirs', async () => {
    const account = await createAccount(provider, { totp: true });
    const bystander = await createAccount(provider);
    const held = [await holdings(rp, account), await holdings(rp, account)];
    const theirs = await holdings(rp, bystander);
    const from = receiver.received.length;

    await change(account);

    for (const each of held) await expectCutOff(rp, each);
    const told = await logoutTokensFor(account, from);
    expect(told.map((claims) => claims.sid).sort()).toEqual(held.map((each) => each.sid).sort());
    await expectStillHeld(rp, theirs);
  });
});

describe('a disabled account', () => {
  it('cannot sign in, even with the right password, until an operator enables it', async () => {
    const account = await createAccount(provider);
    await disableUser(provider.stores, provider.config, { username: account.username, ...operator }, out);
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser);
    const refused = expectPage(await browser.submit(flow.step, '/password', { username: account.username, password: account.password }));
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('This account is disabled.');
    // A wrong password says nothing about the account's state.
    const wrong = expectPage(await browser.submit(refused, '/password', { username: account.username, password: 'wrong' }));
    expect(wrong.html).toContain('Wrong username or password.');

    await enableUser(provider.stores, provider.config, { username: account.username, ...operator }, out);
    const tokens = await rp.signIn(new Browser(CALLBACK), account);
    expect(tokens.claims()?.sub).toBe(account.id);
    const [enabled, disabled] = await provider.stores.audit
      .list({ accountId: account.id, type: undefined, limit: 50 })
      .then((events) => [events.find((event) => event.type === 'account.enable'), events.find((event) => event.type === 'account.disable')]);
    expect(disabled).toMatchObject({ operator: 'alice-ops', reason: 'ticket 4711' });
    expect(enabled).toMatchObject({ operator: 'alice-ops', reason: 'ticket 4711' });
  });
});

describe("an operator's reset", () => {
  it('prints a single-use link that, with the password, opens a recovery session whose new factor waits out the cool-off', async () => {
    const account = await createAccount(provider, { totp: true });
    lines.length = 0;
    await resetUser(provider.stores, provider.config, { username: account.username, ...operator }, out);
    const link = lines.find((line) => line.includes('/account/recover?link='))!;
    expect(link.startsWith(`${provider.issuer}/account/recover?link=`)).toBe(true);
    expect(await provider.stores.authenticators.listByAccount(account.id)).toEqual([]);

    const device = new Browser(CALLBACK);
    const form = expectPage(await device.request(link));
    expect(form.document.querySelector('h1')?.text).toBe('Recover your account');
    expect(form.document.querySelector('#code')).toBeNull();
    const session = expectPage(await device.submit(form, '/recovery', { username: account.username, password: account.password }));
    expect(session.document.querySelector('h1')?.text).toBe(`You are recovering ${account.username}`);
    const [recovery] = await provider.stores.audit.list({ accountId: account.id, type: 'account.recovery', limit: 1 });
    expect(recovery).toMatchObject({ reason: "operator's recovery link" });

    // Used once: the same link in another browser is refused.
    const other = new Browser(CALLBACK);
    const again = await other.submit(await other.request(link), '/recovery', { username: account.username, password: account.password });
    expect(expectPage(again).status).toBe(401);

    // What the recovery session enrols is in cool-off, as after a recovery code.
    const enrol = expectPage(await device.request(`${provider.issuer}/account/totp`));
    expect(enrol.document.querySelector('h1')?.text).toBe('Set up an authenticator app');
    const secret = enrol.document.querySelector('code.secret')!.text.replace(/\s/g, '');
    const code = new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: provider.clock.now() * 1000 });
    expect(expectPage(await device.submit(enrol, '/account/totp', { code, label: 'New phone' })).html).toContain('Until its waiting period ends');
    const early = await rp.start(device, { acr_values: 'aal2' });
    expect(expectCallback(early.step).searchParams.get('error')).toBe('unmet_authentication_requirements');
    const plain = await rp.start(device);
    expect((await rp.finish(plain, expectCallback(plain.step))).claims()).toMatchObject({ acr: 'aal1', amr: ['pwd'] });

    const [reset] = await provider.stores.audit.list({ accountId: account.id, type: 'account.reset', limit: 1 });
    expect(reset).toMatchObject({ operator: 'alice-ops', reason: 'ticket 4711' });
  });
});
