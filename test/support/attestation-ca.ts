// A test attestation PKI generated on the fly (@peculiar/x509): a root CA an operator would trust, and an attestation
// certificate for a model of authenticator (FIDO's required subject fields, the AAGUID extension), with its key.
import { KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** id-fido-gen-ce-aaguid (FIDO Metadata Statement §3.1): an OCTET STRING holding the 16 AAGUID bytes. */
const FIDO_AAGUID_OID = '1.3.6.1.4.1.45724.1.1.4';
const DAY_MS = 24 * 3600 * 1000;

export interface TestRoot {
  pem: string;
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

export interface AttestationIdentity {
  /** The attestation private key the authenticator signs attestation statements with. */
  key: KeyObject;
  /** DER certificates, leaf first (the x5c of the attestation statement). */
  chain: Buffer[];
}

export async function testRoot(name = 'Stepup Test Attestation Root'): Promise<TestRoot> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}, O=Stepup Tests, C=DE`,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 365 * DAY_MS),
    signingAlgorithm: SIGN,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  return { pem: certificate.toString('pem'), certificate, keys };
}

/** An attestation certificate issued by `root` for authenticators of model `aaguid` (omit it for fido-u2f, which has none). */
export async function attestationIdentity(root: TestRoot, options: { aaguid?: string; serial?: string } = {}): Promise<AttestationIdentity> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  if (options.aaguid) {
    const bytes = Buffer.from(options.aaguid.replaceAll('-', ''), 'hex');
    // DER OCTET STRING (tag 0x04, length 16) wrapped as the extension value.
    extensions.push(new x509.Extension(FIDO_AAGUID_OID, false, Buffer.concat([Buffer.of(0x04, bytes.length), bytes])));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: options.serial ?? '02',
    subject: 'C=DE, O=Stepup Tests, OU=Authenticator Attestation, CN=Stepup Test Key',
    issuer: root.certificate.subject,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 365 * DAY_MS),
    signingAlgorithm: SIGN,
    publicKey: keys.publicKey,
    signingKey: root.keys.privateKey,
    extensions,
  });
  return { key: KeyObject.from(keys.privateKey), chain: [Buffer.from(certificate.rawData)] };
}
