import { createHash, X509Certificate } from "node:crypto";
import { checkServerIdentity, type PeerCertificate } from "node:tls";

/**
 * A pin of the API's certificate. `publicKey`: SHA-256 of its SubjectPublicKeyInfo, the
 * HPKP / curl `--pinnedpubkey sha256//…` form, which survives certificate renewals that
 * keep the key. `certificate`: SHA-256 of the whole certificate, the fingerprint
 * `openssl x509 -fingerprint -sha256` prints, which changes at every renewal.
 */
export interface Pin {
  kind: "publicKey" | "certificate";
  /** Lower-case hex. */
  sha256: string;
}

/**
 * Parses pins separated by commas: `sha256//<base64>` or bare base64 (44 characters) for
 * the public key; 64 hex digits, with or without colons, for the certificate. Undefined
 * when any of them is neither.
 */
export function parsePins(text: string): Pin[] | undefined {
  const pins: Pin[] = [];
  for (const part of text.split(",")) {
    const pin = part.trim();
    if (pin === "") continue;
    const base64 = pin.replace(/^sha256\/\//i, "");
    if (/^[A-Za-z0-9+/]{43}=$/.test(base64)) {
      pins.push({ kind: "publicKey", sha256: Buffer.from(base64, "base64").toString("hex") });
      continue;
    }
    const hex = pin.replace(/:/g, "");
    if (/^[0-9a-f]{64}$/i.test(hex)) {
      pins.push({ kind: "certificate", sha256: hex.toLowerCase() });
      continue;
    }
    return undefined;
  }
  return pins.length > 0 ? pins : undefined;
}

/** Both hashes of a DER certificate, as pins compare them. */
export function certificateHashes(der: Buffer): { publicKey: string; certificate: string } {
  const spki = new X509Certificate(der).publicKey.export({ type: "spki", format: "der" });
  return {
    publicKey: createHash("sha256").update(spki).digest("hex"),
    certificate: createHash("sha256").update(der).digest("hex"),
  };
}

/** The base64 public-key pin of a PEM or DER certificate (what to put in api.pin). */
export function publicKeyPinOf(certificate: string | Buffer): string {
  const spki = new X509Certificate(certificate).publicKey.export({ type: "spki", format: "der" });
  return `sha256//${createHash("sha256").update(spki).digest("base64")}`;
}

/**
 * The TLS `checkServerIdentity` with pinning on top: the usual host name check first
 * (the chain was already verified against the trusted CAs), then the leaf certificate must
 * match one of the pins.
 */
export function pinnedIdentityCheck(pins: readonly Pin[]) {
  return (host: string, cert: PeerCertificate): Error | undefined => {
    const nameError = checkServerIdentity(host, cert);
    if (nameError) return nameError;
    if (pins.length === 0) return undefined;
    const hashes = certificateHashes(cert.raw);
    if (pins.some((pin) => hashes[pin.kind] === pin.sha256)) return undefined;
    const seen = Buffer.from(hashes.publicKey, "hex").toString("base64");
    const error = new Error(
      `the API's certificate does not match the configured pin (its public key is sha256//${seen})`,
    ) as NodeJS.ErrnoException;
    error.code = "ERR_CERT_PIN_MISMATCH";
    return error;
  };
}
