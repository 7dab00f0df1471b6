// Attested hardware keys over HTTP: attestation asked for at enrolment, verified against the operator's root certificate
// (a test PKI generated here), recorded with the AAGUID; hwk and the phrh level only for a verified key of an allowed model.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LADDER, DEFAULT_SCOPE_RULES } from '../../config/ladder.ts';
import { SoftAuthenticator, type Attestation } from '../support/soft-authenticator.ts';
import { attestationIdentity, testRoot } from '../support/attestation-ca.ts';
import { Browser, expectCallback, expectPage, type Step } from './harness/browser.ts';
import { createAccount } from './harness/accounts.ts';
import { startProvider, type RunningProvider } from './harness/provider.ts';
import { CALLBACK, relyingParty, type RelyingParty } from './harness/rp.ts';

const MODEL = '8d3a4f1e-5b2c-4e6f-9a7b-1c2d3e4f5a6b';
const OTHER_MODEL = '11111111-2222-4333-8444-555555555555';
const PHRH = { acr: 'phrh', label: 'hardware security key', aliases: [], rank: 4, combinations: [['hwk']], maxAge: 300 };

const dir = mkdtempSync(join(tmpdir(), 'stepup-attestation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function providerWith(name: string, attestation: Record<string, unknown>): Promise<{ provider: RunningProvider; rp: RelyingParty }> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ ladder: [...DEFAULT_LADDER, PHRH], scopeRules: DEFAULT_SCOPE_RULES, attestation }));
  const provider = await startProvider({ hostname: 'localhost', env: { STEPUP_POLICY_FILE: file } });
  return { provider, rp: await relyingParty(provider) };
}

const options = (step: Step) => JSON.parse(expectPage(step).document.querySelector('#passkey-options')!.text) as { challenge: string; attestation?: string };

/** A password account enrols `authn` from the account page, waits out the cool-off, then asks for `acr`. */
async function enrolAndAsk(setup: { provider: RunningProvider; rp: RelyingParty }, authn: SoftAuthenticator, acr: string) {
  const { provider, rp } = setup;
  const account = await createAccount(provider);
  const browser = new Browser(CALLBACK);
  await rp.signIn(browser, account);
  const page = await browser.request(`${provider.issuer}/account/passkey`);
  const requested = options(page);
  const done = expectPage(await browser.submit(page, '/account/passkey', { response: JSON.stringify(authn.register({ challenge: requested.challenge, userId: account.id })), label: 'Key' }));
  expect(done.html).toContain('Your passkey is ready.');
  const [record] = await provider.stores.authenticators.listByAccount(account.id);
  provider.clock.advance(provider.config.policy.recovery.coolOff);
  const flow = await rp.start(browser, { acr_values: acr });
  if (flow.step.kind === 'callback') return { requested, record: record!, error: flow.step.url.searchParams.get('error') };
  const tokens = await rp.finish(flow, expectCallback(await browser.submit(flow.step, '/passkey', { response: JSON.stringify(authn.assert({ challenge: options(flow.step).challenge })) })));
  return { requested, record: record!, claims: tokens.claims()! };
}

describe('with a trusted root and no allow-list', () => {
  let setup: { provider: RunningProvider; rp: RelyingParty };
  let trusted: Awaited<ReturnType<typeof attestationIdentity>>;
  let untrusted: Awaited<ReturnType<typeof attestationIdentity>>;
  let u2f: Awaited<ReturnType<typeof attestationIdentity>>;

  beforeAll(async () => {
    const root = await testRoot();
    trusted = await attestationIdentity(root, { aaguid: MODEL });
    u2f = await attestationIdentity(root, { serial: '03' });
    untrusted = await attestationIdentity(await testRoot('Someone Else Root'), { aaguid: MODEL });
    writeFileSync(join(dir, 'root.pem'), root.pem);
    setup = await providerWith('trusted', { rootCertificates: ['root.pem'] });
  });
  afterAll(async () => setup?.provider.close());

  const device = (attestation: Attestation, extra: Partial<ConstructorParameters<typeof SoftAuthenticator>[0]> = {}) =>
    new SoftAuthenticator({ rpId: 'localhost', origin: setup.provider.issuer, attestation, ...extra });

  it('asks for direct attestation, and a packed chain to the root reaches phrh with hwk', async () => {
    const result = await enrolAndAsk(setup, device({ format: 'packed', ...trusted }, { aaguid: MODEL }), 'phrh');
    expect(result.requested.attestation).toBe('direct');
    expect(result.record.data.attestation).toEqual({ fmt: 'packed', aaguid: MODEL, verified: true });
    expect(result.claims).toMatchObject({ acr: 'phrh' });
    expect(result.claims!.amr).toEqual(expect.arrayContaining(['pop', 'hwk', 'user']));
  });

  it('a fido-u2f chain to the root reaches phrh too', async () => {
    const result = await enrolAndAsk(setup, device({ format: 'fido-u2f', ...u2f }), 'phrh');
    expect(result.record.data.attestation).toMatchObject({ fmt: 'fido-u2f', verified: true });
    expect(result.claims).toMatchObject({ acr: 'phrh' });
  });

  it.each<[string, () => Attestation, Record<string, unknown>]>([
    [
      'a chain to another root: enrolled without the statement, which is recorded as refused',
      () => ({ format: 'packed', ...untrusted }),
      { fmt: 'packed', verified: false, refused: expect.any(String) },
    ],
    ['self attestation (signed by the credential key)', () => ({ format: 'packed-self' }), { fmt: 'packed', verified: false }],
    ['no attestation', () => ({ format: 'none' }), { fmt: 'none', verified: false }],
  ])('%s: a passkey (phr, no hwk), never phrh', async (_name, attestation, recorded) => {
    const authn = device(attestation(), { aaguid: MODEL });
    const refused = await enrolAndAsk(setup, authn, 'phrh');
    expect(refused.record.data.attestation).toMatchObject(recorded);
    expect(refused.error).toBe('unmet_authentication_requirements');
    const second = await enrolAndAsk(setup, device(attestation(), { aaguid: MODEL }), 'phr');
    expect(second.claims).toMatchObject({ acr: 'phr' });
    expect(second.claims!.amr).not.toContain('hwk');
  });

  it('says swk only for a passkey that reports being synced (backup-eligible), and neither when nothing is known', async () => {
    const synced = await enrolAndAsk(setup, device({ format: 'none' }, { backupEligible: true }), 'phr');
    expect(synced.claims!.amr).toEqual(['pop', 'swk', 'user', 'mfa']);
    const unknown = await enrolAndAsk(setup, device({ format: 'none' }), 'phr');
    expect(unknown.claims!.amr).toEqual(['pop', 'user', 'mfa']);
  });
});

describe('with an allow-list of AAGUIDs', () => {
  let setup: { provider: RunningProvider; rp: RelyingParty };
  let identity: Awaited<ReturnType<typeof attestationIdentity>>;
  let otherModel: Awaited<ReturnType<typeof attestationIdentity>>;

  beforeAll(async () => {
    const root = await testRoot('Allow-list Root');
    identity = await attestationIdentity(root, { aaguid: MODEL });
    otherModel = await attestationIdentity(root, { aaguid: OTHER_MODEL, serial: '04' });
    writeFileSync(join(dir, 'allow-root.pem'), root.pem);
    setup = await providerWith('allow-list', { rootCertificates: ['allow-root.pem'], allowedAaguids: [MODEL.toUpperCase()] });
  });
  afterAll(async () => setup?.provider.close());

  it('a verified key of an allowed model reaches phrh; a verified key of another model does not', async () => {
    const allowed = await enrolAndAsk(setup, new SoftAuthenticator({ rpId: 'localhost', origin: setup.provider.issuer, aaguid: MODEL, attestation: { format: 'packed', ...identity } }), 'phrh');
    expect(allowed.claims).toMatchObject({ acr: 'phrh' });
    const other = await enrolAndAsk(setup, new SoftAuthenticator({ rpId: 'localhost', origin: setup.provider.issuer, aaguid: OTHER_MODEL, attestation: { format: 'packed', ...otherModel } }), 'phrh');
    expect(other.record.data.attestation).toEqual({ fmt: 'packed', aaguid: OTHER_MODEL, verified: true });
    expect(other.error).toBe('unmet_authentication_requirements');
  });
});

describe('with FIDO metadata statements only (no root certificates)', () => {
  let setup: { provider: RunningProvider; rp: RelyingParty };
  let described: Awaited<ReturnType<typeof attestationIdentity>>;
  let undescribed: Awaited<ReturnType<typeof attestationIdentity>>;

  beforeAll(async () => {
    const root = await testRoot('Vendor Root');
    described = await attestationIdentity(root, { aaguid: MODEL });
    undescribed = await attestationIdentity(await testRoot('Unlisted Vendor Root'), { aaguid: OTHER_MODEL, serial: '05' });
    const statement = {
      aaguid: MODEL,
      description: 'Stepup test key',
      attestationTypes: ['basic_full'],
      authenticationAlgorithms: ['secp256r1_ecdsa_sha256_raw'],
      attestationRootCertificates: [Buffer.from(root.certificate.rawData).toString('base64')],
    };
    writeFileSync(join(dir, 'statement.json'), JSON.stringify(statement));
    setup = await providerWith('metadata', { metadataStatements: ['statement.json'] });
  });
  afterAll(async () => setup?.provider.close());

  it("verifies a key against its model's statement, and never counts a chain nothing could be checked against", async () => {
    const listed = await enrolAndAsk(setup, new SoftAuthenticator({ rpId: 'localhost', origin: setup.provider.issuer, aaguid: MODEL, attestation: { format: 'packed', ...described } }), 'phrh');
    expect(listed.record.data.attestation).toEqual({ fmt: 'packed', aaguid: MODEL, verified: true });
    expect(listed.claims).toMatchObject({ acr: 'phrh' });
    // No statement for this model and no root certificate: the library skips the path check, so it proves nothing.
    const unlisted = await enrolAndAsk(
      setup,
      new SoftAuthenticator({ rpId: 'localhost', origin: setup.provider.issuer, aaguid: OTHER_MODEL, attestation: { format: 'packed', ...undescribed } }),
      'phrh',
    );
    expect(unlisted.record.data.attestation).toMatchObject({ fmt: 'packed', verified: false });
    expect(unlisted.error).toBe('unmet_authentication_requirements');
  });
});
