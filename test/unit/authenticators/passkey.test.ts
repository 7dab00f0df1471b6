// Passkeys: registration and assertion against a software authenticator; every refusal flips one field of a valid response.
import { randomBytes } from 'node:crypto';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { cose, decodeCredentialPublicKey } from '@simplewebauthn/server/helpers';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuthenticatorRecord } from '../../../adapters/types.ts';
import { authenticationOptions, passkeyData, registerPasskey, registrationOptions, verifyPasskey, type WebAuthnRelyingParty } from '../../../authenticators/passkey.ts';
import { SoftAuthenticator, type AssertInput, type SoftAuthenticatorOptions } from '../../support/soft-authenticator.ts';
import { FakeAuthenticatorStore } from './fake-stores.ts';
import { authError } from './helpers.ts';

const RP: WebAuthnRelyingParty = { rpId: 'localhost', rpName: 'Test', origins: ['http://localhost:3000'] };
const ORIGIN = 'http://localhost:3000';
const AAGUID = 'adce0002-35bc-c60a-648b-0b25f1f05503';
const T0 = 1_700_000_000;
const T1 = T0 + 60;

let authenticators: FakeAuthenticatorStore;

function deps(now = T0) {
  return { rp: RP, authenticators, now };
}

function softAuthenticator(options: Partial<SoftAuthenticatorOptions> = {}): SoftAuthenticator {
  return new SoftAuthenticator({ rpId: 'localhost', origin: ORIGIN, aaguid: AAGUID, ...options });
}

/** A registration ceremony end to end: options from the server, the authenticator's answer, the server's check. */
async function enrol(authn: SoftAuthenticator, accountId = 'acc-1'): Promise<AuthenticatorRecord> {
  const { challenge } = await registrationOptions(RP, { id: accountId, username: accountId }, []);
  const response = authn.register({ challenge, userId: accountId });
  return registerPasskey({ accountId, response: JSON.stringify(response), expectedChallenge: challenge, label: 'Laptop' }, deps());
}

async function newChallenge(): Promise<string> {
  return (await authenticationOptions(RP)).challenge;
}

async function stored(id: string): Promise<AuthenticatorRecord> {
  return (await authenticators.get(id))!;
}

beforeEach(() => {
  authenticators = new FakeAuthenticatorStore();
});

describe('registration options', () => {
  it('carry the account id as user.id, require user verification, and exclude the credentials already registered', async () => {
    const record = await enrol(softAuthenticator());
    const options = await registrationOptions(RP, { id: 'acc-1', username: 'alice' }, [record]);
    expect(options.rp).toEqual({ name: 'Test', id: 'localhost' });
    expect(options.user).toMatchObject({ id: Buffer.from('acc-1').toString('base64url'), name: 'alice' });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    expect(options.excludeCredentials).toEqual([{ id: record.credentialId, type: 'public-key', transports: ['internal', 'hybrid'] }]);
  });
});

describe('registration', () => {
  async function register(authn: SoftAuthenticator, overrides: { origin?: string; rpId?: string; userVerified?: boolean; expectedChallenge?: string } = {}) {
    const { challenge } = await registrationOptions(RP, { id: 'acc-1', username: 'alice' }, []);
    const { expectedChallenge = challenge, ...flip } = overrides;
    const response = authn.register({ challenge, userId: 'acc-1', ...flip });
    return registerPasskey({ accountId: 'acc-1', response: JSON.stringify(response), expectedChallenge, label: ' Laptop ' }, deps());
  }

  it('stores the credential id, public key, counter, transports, backup flags, AAGUID and creation time', async () => {
    const authn = softAuthenticator({ counter: 143 });
    const record = await register(authn);
    expect(record).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      accountId: 'acc-1',
      kind: 'passkey',
      label: 'Laptop',
      credentialId: authn.credentialId,
      signCount: 143,
      data: { publicKey: expect.any(String), transports: ['internal', 'hybrid'], backupEligible: false, backedUp: false, aaguid: AAGUID },
      createdAt: T0,
    });
    expect(await stored(record.id)).toEqual(record);
    const key = decodeCredentialPublicKey(new Uint8Array(Buffer.from(passkeyData(record).publicKey, 'base64url')));
    expect([key.get(cose.COSEKEYS.kty), key.get(cose.COSEKEYS.alg)]).toEqual([cose.COSEKTY.EC2, cose.COSEALG.ES256]);
  });

  it('records a synced passkey as backup-eligible and backed up', async () => {
    const record = await register(softAuthenticator({ backupEligible: true }));
    expect(passkeyData(record)).toMatchObject({ backupEligible: true, backedUp: true });
  });

  it.each([
    ['without user verification', { userVerified: false }],
    ['from another origin', { origin: 'http://evil.example:3000' }],
    ['for another RP ID', { rpId: 'evil.example' }],
    ['answering another challenge', { expectedChallenge: SoftAuthenticator.challenge() }],
  ])('refuses a credential created %s', async (_, flip) => {
    const error = await authError(register(softAuthenticator(), flip));
    expect(error.code).toBe('invalid_credentials');
    expect(authenticators.rows.size).toBe(0);
  });

  it.each([['{not json'], ['null'], ['"a string"']])('refuses a malformed response %j as invalid input', async (response) => {
    const { challenge } = await registrationOptions(RP, { id: 'acc-1', username: 'alice' }, []);
    const error = await authError(registerPasskey({ accountId: 'acc-1', response, expectedChallenge: challenge, label: 'Laptop' }, deps()));
    expect(error.code).toBe('invalid_input');
  });

  it('refuses an empty name before looking at the response', async () => {
    const { challenge } = await registrationOptions(RP, { id: 'acc-1', username: 'alice' }, []);
    const response = JSON.stringify(softAuthenticator().register({ challenge, userId: 'acc-1' }));
    const error = await authError(registerPasskey({ accountId: 'acc-1', response, expectedChallenge: challenge, label: '  ' }, deps()));
    expect(error.code).toBe('invalid_input');
  });

  it.each([
    ['the same account', 'acc-1'],
    ['another account', 'acc-2'],
  ])('refuses a second registration of the same credential by %s (conflict)', async (_, secondAccount) => {
    const authn = softAuthenticator();
    await enrol(authn, 'acc-1');
    await expect(enrol(authn, secondAccount)).rejects.toMatchObject({ code: 'conflict' });
    expect(authenticators.rows.size).toBe(1);
  });
});

describe('assertion', () => {
  let authn: SoftAuthenticator;
  let record: AuthenticatorRecord;

  /** Verifies a response as a step-up for `accountId`, or as a username-less sign-in when it is null. */
  async function verify(response: AuthenticationResponseJSON | string, expectedChallenge: string, accountId: string | null = 'acc-1') {
    const input = typeof response === 'string' ? response : JSON.stringify(response);
    return verifyPasskey({ response: input, expectedChallenge, ...(accountId !== null && { accountId }) }, deps(T1));
  }

  /** A valid assertion with one field flipped; it is verified against the challenge it was made for. */
  async function assertWith(flip: Omit<AssertInput, 'challenge'> = {}) {
    const challenge = await newChallenge();
    return verify(authn.assert({ challenge, ...flip }), challenge);
  }

  beforeEach(async () => {
    authn = softAuthenticator();
    record = await enrol(authn);
  });

  describe('when the response is valid', () => {
    it('returns the passkey event, without hwk for a key whose attestation was not verified, and moves the counter forward', async () => {
      const {
        authenticator,
        events: [event, ...rest],
      } = await assertWith();
      expect(rest).toEqual([]);
      expect(authenticator.id).toBe(record.id);
      expect(event).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        accountId: 'acc-1',
        factor: 'passkey',
        amr: ['pop', 'user', 'mfa'],
        at: T1,
        authenticatorId: record.id,
      });
      expect(await stored(record.id)).toMatchObject({ signCount: 1, lastUsedAt: T1 });
    });

    it('reports swk for a backup-eligible (synced) passkey', async () => {
      authn = softAuthenticator({ backupEligible: true });
      record = await enrol(authn);
      const {
        events: [event],
      } = await assertWith();
      expect(event!.amr).toEqual(['pop', 'swk', 'user', 'mfa']);
    });

    it('identifies the owning account when no account is given (username-less)', async () => {
      const other = softAuthenticator();
      const otherRecord = await enrol(other, 'acc-2');
      const challenge = await newChallenge();
      const response = other.assert({ challenge });
      expect(response.response.userHandle).toBe(Buffer.from('acc-2').toString('base64url'));
      const {
        authenticator,
        events: [event],
      } = await verify(response, challenge, null);
      expect(authenticator.id).toBe(otherRecord.id);
      expect(event).toMatchObject({ accountId: 'acc-2', authenticatorId: otherRecord.id });
    });

    it('accepts an authenticator without a counter (always 0) again and again', async () => {
      authn = softAuthenticator({ counterless: true });
      record = await enrol(authn);
      expect(record.signCount).toBe(0);
      for (let i = 0; i < 3; i++) {
        await assertWith();
        expect(authn.counter).toBe(0);
      }
      expect(await stored(record.id)).toMatchObject({ signCount: 0, lastUsedAt: T1 });
    });

    it('accepts a counter that jumps forward (143 → 144 → 200)', async () => {
      authn = softAuthenticator({ counter: 143 });
      record = await enrol(authn);
      await assertWith();
      expect((await stored(record.id)).signCount).toBe(144);
      await assertWith({ counter: 200 });
      expect((await stored(record.id)).signCount).toBe(200);
    });
  });

  describe('when one field of a valid response is flipped', () => {
    it.each([
      ['user verification is missing', { userVerified: false }],
      ['the user was not present', { userPresent: false }],
      ['it comes from another origin', { origin: 'http://evil.example:3000' }],
      ['it is for another RP ID', { rpId: 'evil.example' }],
      ['it is a registration (webauthn.create)', { type: 'webauthn.create' }],
    ])('refuses it when %s, leaving the counter as it was', async (_, flip) => {
      const error = await authError(assertWith(flip));
      expect(error.code).toBe('invalid_credentials');
      expect((await stored(record.id)).signCount).toBe(0);
      await assertWith();
    });

    it('refuses a response replayed against a new challenge', async () => {
      const challenge = await newChallenge();
      const response = authn.assert({ challenge });
      const error = await authError(verify(response, await newChallenge()));
      expect(error.code).toBe('invalid_credentials');
      expect((await stored(record.id)).signCount).toBe(0);
    });

    it('refuses a tampered signature', async () => {
      const challenge = await newChallenge();
      const response = authn.assert({ challenge });
      const signature = Buffer.from(response.response.signature, 'base64url');
      signature[signature.length - 1]! ^= 0x01;
      const error = await authError(verify({ ...response, response: { ...response.response, signature: signature.toString('base64url') } }, challenge));
      expect(error.code).toBe('invalid_credentials');
    });

    it('refuses a credential of another account when the account is given', async () => {
      const other = softAuthenticator();
      await enrol(other, 'acc-2');
      const challenge = await newChallenge();
      const error = await authError(verify(other.assert({ challenge }), challenge, 'acc-1'));
      expect(error.code).toBe('invalid_credentials');
    });

    it('refuses an unknown credential', async () => {
      const challenge = await newChallenge();
      const response = authn.assert({ challenge });
      const unknown = randomBytes(32).toString('base64url');
      const error = await authError(verify({ ...response, id: unknown, rawId: unknown }, challenge));
      expect(error.code).toBe('invalid_credentials');
    });
  });

  describe('when the counter does not move forward', () => {
    it('refuses the same response the second time as a possible clone', async () => {
      const challenge = await newChallenge();
      const response = authn.assert({ challenge });
      await verify(response, challenge);
      const error = await authError(verify(response, challenge));
      expect(error.code).toBe('cloned');
      expect((await stored(record.id)).signCount).toBe(1);
    });

    it('refuses a counter going backwards (144, then 143) as a possible clone', async () => {
      authn = softAuthenticator({ counter: 143 });
      record = await enrol(authn);
      await assertWith();
      const error = await authError(assertWith({ counter: 143 }));
      expect(error.code).toBe('cloned');
      expect((await stored(record.id)).signCount).toBe(144);
    });

    it('refuses a counter falling back to 0 after it started counting', async () => {
      await assertWith();
      const error = await authError(assertWith({ counter: 0 }));
      expect(error.code).toBe('cloned');
    });
  });

  describe('when the response is malformed', () => {
    it.each([['{not json'], ['null'], ['42'], ['"a string"']])('refuses %j as invalid input', async (response) => {
      const error = await authError(verify(response, await newChallenge()));
      expect(error.code).toBe('invalid_input');
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['not a string', 42],
      ['longer than 1024 characters', 'A'.repeat(1025)],
    ])('refuses a credential id that is %s as invalid input', async (_, id) => {
      const challenge = await newChallenge();
      const { id: _valid, ...rest } = authn.assert({ challenge });
      const error = await authError(verify(JSON.stringify({ ...rest, ...(id !== undefined && { id }) }), challenge));
      expect(error.code).toBe('invalid_input');
    });
  });
});
