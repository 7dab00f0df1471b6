// A software WebAuthn authenticator (ES256) returning exactly the JSON a browser hands to the page; attestation "none"
// by default, or "packed" (full or self) and "fido-u2f" statements with a test attestation key and certificate chain.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { COSEALG, cose, isoCBOR } from '@simplewebauthn/server/helpers';
import type { AuthenticationResponseJSON, AuthenticatorAttachment, AuthenticatorTransport, RegistrationResponseJSON } from '@simplewebauthn/server';

/** Authenticator-data flag bits (WebAuthn §6.1). */
const UP = 0x01;
const UV = 0x04;
const BE = 0x08;
const BS = 0x10;
const AT = 0x40;

/** What the authenticator reports in its flags; every field can also be overridden per ceremony. */
export interface SoftAuthenticatorFlags {
  /** UP. Default true. */
  userPresent?: boolean;
  /** UV. Default true. */
  userVerified?: boolean;
  /** BE: a synced (multi-device) passkey. Default false. */
  backupEligible?: boolean;
  /** BS. Default: same as backupEligible. */
  backedUp?: boolean;
}

export interface SoftAuthenticatorOptions extends SoftAuthenticatorFlags {
  rpId: string;
  origin: string;
  /** The signature counter reported at registration; each assertion adds 1. Default 0. */
  counter?: number;
  /** An authenticator without a counter: reports 0 always (like most synced passkeys). Default false. */
  counterless?: boolean;
  /** UUID string. Default the all-zero AAGUID. */
  aaguid?: string;
  /** Credential id length in bytes. Default 32. */
  credentialIdLength?: number;
  transports?: AuthenticatorTransport[];
  attachment?: AuthenticatorAttachment;
  /** The attestation statement of registrations. Default "none". */
  attestation?: Attestation;
}

/** packed with x5c (full), packed signed by the credential key (self), or fido-u2f (x5c, AAGUID zero). */
export type Attestation = { format: 'none' } | { format: 'packed'; key: KeyObject; chain: Buffer[] } | { format: 'packed-self' } | { format: 'fido-u2f'; key: KeyObject; chain: Buffer[] };

/** Per-ceremony overrides: each one changes exactly one field of an otherwise valid response. */
interface CeremonyOverrides extends SoftAuthenticatorFlags {
  challenge: string;
  origin?: string;
  /** Hashed into rpIdHash. */
  rpId?: string;
  /** clientDataJSON.type; defaults to the ceremony's own. */
  type?: string;
}

export interface RegisterInput extends CeremonyOverrides {
  /** The account id, as the server encodes it into user.id (UTF-8 bytes). */
  userId: string;
}

export interface AssertInput extends CeremonyOverrides {
  /** Report this counter instead of the next one; the authenticator remembers it. */
  counter?: number;
  /** userHandle override: a different account id, or null to leave it out. Default: the registered user. */
  userId?: string | null;
}

type CBORValue = Parameters<typeof isoCBOR.encode>[0];

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

function uint16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}

export class SoftAuthenticator {
  readonly rpId: string;
  readonly origin: string;
  readonly aaguid: string;
  readonly transports: AuthenticatorTransport[];
  readonly attachment: AuthenticatorAttachment;
  readonly counterless: boolean;
  private readonly attestation: Attestation;
  private readonly flags: SoftAuthenticatorFlags;
  private readonly rawId: Buffer;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private signCount: number;
  private userId: string | undefined;

  constructor(options: SoftAuthenticatorOptions) {
    this.rpId = options.rpId;
    this.origin = options.origin;
    this.aaguid = options.aaguid ?? '00000000-0000-0000-0000-000000000000';
    this.transports = options.transports ?? ['internal', 'hybrid'];
    this.attachment = options.attachment ?? 'platform';
    this.counterless = options.counterless ?? false;
    this.attestation = options.attestation ?? { format: 'none' };
    this.signCount = this.counterless ? 0 : (options.counter ?? 0);
    const { userPresent, userVerified, backupEligible, backedUp } = options;
    this.flags = { userPresent, userVerified, backupEligible, backedUp };
    this.rawId = randomBytes(options.credentialIdLength ?? 32);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
  }

  /** The credential id, base64url, as the server stores it. */
  get credentialId(): string {
    return b64url(this.rawId);
  }

  /** The counter the authenticator last reported. */
  get counter(): number {
    return this.signCount;
  }

  /** A fresh random challenge, base64url, for tests that do not go through the options functions. */
  static challenge(): string {
    return b64url(randomBytes(32));
  }

  /** navigator.credentials.create(): the credential this authenticator holds, attested with fmt "none". */
  register(input: RegisterInput): RegistrationResponseJSON {
    this.userId = input.userId;
    const clientDataJSON = this.clientData(input, 'webauthn.create');
    const authData = Buffer.concat([this.authData(input, AT, this.signCount), this.attestedCredentialData()]);
    const { fmt, attStmt } = this.statement(authData, sha256(clientDataJSON), input);
    const attestationObject = isoCBOR.encode(
      new Map<string, CBORValue>([
        ['fmt', fmt],
        ['attStmt', attStmt],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        authenticatorData: b64url(authData),
        transports: [...this.transports],
        publicKeyAlgorithm: COSEALG.ES256,
        publicKey: b64url(this.publicKey.export({ format: 'der', type: 'spki' })),
      },
      authenticatorAttachment: this.attachment,
      clientExtensionResults: {},
      type: 'public-key',
    };
  }

  /** navigator.credentials.get(): an assertion over authData || SHA-256(clientDataJSON), signed ES256 (DER). */
  assert(input: AssertInput): AuthenticationResponseJSON {
    const counter = this.nextCounter(input.counter);
    const clientDataJSON = this.clientData(input, 'webauthn.get');
    const authData = this.authData(input, 0, counter);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    const userId = input.userId === undefined ? this.userId : input.userId;
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(userId !== null && userId !== undefined && { userHandle: b64url(new TextEncoder().encode(userId)) }),
      },
      authenticatorAttachment: this.attachment,
      clientExtensionResults: {},
      type: 'public-key',
    };
  }

  /** The attestation statement (WebAuthn §8.2 packed, §8.6 fido-u2f) over authData and the client data hash. */
  private statement(authData: Buffer, clientDataHash: Buffer, input: CeremonyOverrides): { fmt: string; attStmt: Map<string, CBORValue> } {
    const attestation = this.attestation;
    const bytes = (buffer: Buffer) => new Uint8Array(buffer);
    switch (attestation.format) {
      case 'none':
        return { fmt: 'none', attStmt: new Map() };
      case 'packed-self':
        return {
          fmt: 'packed',
          attStmt: new Map<string, CBORValue>([
            ['alg', COSEALG.ES256],
            ['sig', bytes(sign('sha256', Buffer.concat([authData, clientDataHash]), this.privateKey))],
          ]),
        };
      case 'packed':
        return {
          fmt: 'packed',
          attStmt: new Map<string, CBORValue>([
            ['alg', COSEALG.ES256],
            ['sig', bytes(sign('sha256', Buffer.concat([authData, clientDataHash]), attestation.key))],
            ['x5c', attestation.chain.map(bytes)],
          ]),
        };
      case 'fido-u2f': {
        const jwk = this.publicKey.export({ format: 'jwk' });
        const publicKeyU2F = Buffer.concat([Buffer.of(0x04), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
        const signed = Buffer.concat([Buffer.of(0x00), sha256(input.rpId ?? this.rpId), clientDataHash, this.rawId, publicKeyU2F]);
        return {
          fmt: 'fido-u2f',
          attStmt: new Map<string, CBORValue>([
            ['sig', bytes(sign('sha256', signed, attestation.key))],
            ['x5c', attestation.chain.map(bytes)],
          ]),
        };
      }
    }
  }

  private nextCounter(requested: number | undefined): number {
    if (requested !== undefined) this.signCount = requested;
    else if (!this.counterless) this.signCount += 1;
    return this.signCount;
  }

  /** The bytes a browser serializes, members in the order the spec's serialization uses. */
  private clientData(input: CeremonyOverrides, type: string): Buffer {
    return Buffer.from(JSON.stringify({ type: input.type ?? type, challenge: input.challenge, origin: input.origin ?? this.origin, crossOrigin: false }), 'utf8');
  }

  /** rpIdHash (32) | flags (1) | signCount (4, big-endian). */
  private authData(input: CeremonyOverrides, extraFlags: number, counter: number): Buffer {
    const backupEligible = input.backupEligible ?? this.flags.backupEligible ?? false;
    const flags =
      ((input.userPresent ?? this.flags.userPresent ?? true) ? UP : 0) |
      ((input.userVerified ?? this.flags.userVerified ?? true) ? UV : 0) |
      (backupEligible ? BE : 0) |
      ((input.backedUp ?? this.flags.backedUp ?? backupEligible) ? BS : 0) |
      extraFlags;
    return Buffer.concat([sha256(input.rpId ?? this.rpId), Buffer.of(flags), uint32(counter)]);
  }

  /** AAGUID (16) | credentialIdLength (2) | credentialId | COSE_Key (EC2, ES256, P-256). */
  private attestedCredentialData(): Buffer {
    const jwk = this.publicKey.export({ format: 'jwk' });
    const coseKey = isoCBOR.encode(
      new Map<number, CBORValue>([
        [cose.COSEKEYS.kty, cose.COSEKTY.EC2],
        [cose.COSEKEYS.alg, COSEALG.ES256],
        [cose.COSEKEYS.crv, cose.COSECRV.P256],
        [cose.COSEKEYS.x, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
        [cose.COSEKEYS.y, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
      ]),
    );
    return Buffer.concat([Buffer.from(this.aaguid.replaceAll('-', ''), 'hex'), uint16(this.rawId.length), this.rawId, coseKey]);
  }
}
