//! Reading a `private_key_jwt` signing key from the PEM file users already have: PKCS#8
//! (RSA or EC P-256), SEC1 `EC PRIVATE KEY` (what `openssl ecparam -genkey` writes) or
//! PKCS#1 `RSA PRIVATE KEY`. The PEM framing is rustls-pki-types' (already in the tree for
//! TLS); ring takes EC keys only as PKCS#8, so a SEC1 key is wrapped into one here.

use crate::error::{Error, Result};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, RsaKeyPair};
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject as _;

pub(super) enum SigningKey {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

impl SigningKey {
    pub(super) fn alg(&self) -> &'static str {
        match self {
            SigningKey::Rsa(_) => "RS256",
            SigningKey::Ec(_) => "ES256",
        }
    }
}

/// DER of the OIDs involved: id-ecPublicKey and the named curves a user may have.
const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OTHER_CURVES: [(&[u8], &str); 4] = [
    (&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22], "P-384"),
    (&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23], "P-521"),
    (&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a], "secp256k1"),
    (&[0x06, 0x03, 0x2b, 0x65, 0x70], "Ed25519"),
];

/// Reads and parses the key in `path`.
pub(super) fn load(path: &str) -> Result<SigningKey> {
    let text = std::fs::read(path).map_err(|e| Error::io(format!("reading the private key {path}"), e))?;
    parse(&text).map_err(|why| Error::InvalidInput(format!("{path}: {why}")))
}

fn parse(pem: &[u8]) -> std::result::Result<SigningKey, String> {
    // Checked before parsing: an encrypted PKCS#8 block has a label rustls skips, and a
    // legacy encrypted PKCS#1/SEC1 block has headers it cannot decode.
    if contains_slice(pem, b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || contains_slice(pem, b"Proc-Type: 4,ENCRYPTED") {
        return Err("the key is encrypted, and these tools never prompt for a passphrase: decrypt it to a file only you can read (`openssl pkey -in KEY -out KEY.plain`)".into());
    }
    let der = PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            "no PEM private key found (a PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY block)".to_string()
        }
        other => format!("not a readable PEM file ({other})"),
    })?;
    let unsupported = |der: &[u8], what: &str| match OTHER_CURVES.iter().find(|(oid, _)| contains_slice(der, oid)) {
        Some((_, curve)) => format!("{curve} keys are not supported: use an EC P-256 or RSA key"),
        None => format!("unusable {what}: not an RSA or EC P-256 key"),
    };
    let rng = SystemRandom::new();
    let ec = |pkcs8: &[u8]| EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng);
    match der {
        PrivateKeyDer::Pkcs8(k) => {
            let der = k.secret_pkcs8_der();
            if let Ok(k) = RsaKeyPair::from_pkcs8(der) {
                return Ok(SigningKey::Rsa(k));
            }
            ec(der).map(SigningKey::Ec).map_err(|_| unsupported(der, "PKCS#8 key"))
        }
        PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der())
            .map(SigningKey::Rsa)
            .map_err(|e| format!("unusable RSA key: {e}")),
        PrivateKeyDer::Sec1(k) => {
            let sec1 = k.secret_sec1_der();
            if OTHER_CURVES.iter().any(|(oid, _)| contains_slice(sec1, oid)) {
                return Err(unsupported(sec1, "EC key"));
            }
            ec(&sec1_to_pkcs8(sec1)).map(SigningKey::Ec).map_err(|e| {
                format!("unusable EC PRIVATE KEY ({e}); one saved without its public key (ring needs it) is completed by `openssl ec -in KEY -out KEY.full`")
            })
        }
        _ => Err("unsupported kind of private key".into()),
    }
}

fn contains_slice(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// RFC 5208 PrivateKeyInfo around an RFC 5915 ECPrivateKey: version 0, the algorithm
/// id-ecPublicKey with the P-256 curve, and the SEC1 DER as the OCTET STRING.
fn sec1_to_pkcs8(sec1: &[u8]) -> Vec<u8> {
    let mut algorithm = EC_PUBLIC_KEY.to_vec();
    algorithm.extend_from_slice(P256);
    let mut body = vec![0x02, 0x01, 0x00];
    body.extend(tlv(0x30, &algorithm));
    body.extend(tlv(0x04, sec1));
    tlv(0x30, &body)
}

/// One DER tag-length-value (definite length, short or long form).
fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let len = value.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// A key written by `openssl` itself, in the format named by `args`.
    fn openssl(dir: &std::path::Path, name: &str, args: &[&str]) -> Vec<u8> {
        let path = dir.join(name);
        let out = Command::new("openssl").args(args).arg("-out").arg(&path).output().expect("openssl is installed");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::read(&path).unwrap()
    }

    fn convert(dir: &std::path::Path, from: &str, name: &str, args: &[&str]) -> Vec<u8> {
        let mut all = args.to_vec();
        let input = dir.join(from);
        all.extend(["-in", input.to_str().unwrap()]);
        openssl(dir, name, &all)
    }

    #[test]
    fn every_format_openssl_writes_for_p256_and_rsa_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let sec1 = openssl(d, "ec.pem", &["ecparam", "-name", "prime256v1", "-genkey", "-noout"]);
        assert!(String::from_utf8_lossy(&sec1).contains("BEGIN EC PRIVATE KEY"), "the ecparam default is SEC1");
        let ec_pkcs8 = convert(d, "ec.pem", "ec8.pem", &["pkcs8", "-topk8", "-nocrypt"]);
        let rsa_pkcs8 = openssl(d, "rsa8.pem", &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]);
        let rsa_pkcs1 = convert(d, "rsa8.pem", "rsa1.pem", &["rsa", "-traditional"]);
        assert!(String::from_utf8_lossy(&rsa_pkcs1).contains("BEGIN RSA PRIVATE KEY"));
        for (pem, alg) in [(&sec1, "ES256"), (&ec_pkcs8, "ES256"), (&rsa_pkcs8, "RS256"), (&rsa_pkcs1, "RS256")] {
            let key = parse(pem).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(pem)));
            assert_eq!(key.alg(), alg);
        }
        // The wrapped SEC1 key is the same key as openssl's own PKCS#8 of it.
        let (SigningKey::Ec(a), SigningKey::Ec(b)) = (parse(&sec1).unwrap(), parse(&ec_pkcs8).unwrap()) else {
            panic!("EC keys")
        };
        use ring::signature::KeyPair as _;
        assert_eq!(a.public_key().as_ref(), b.public_key().as_ref());
    }

    #[test]
    fn encrypted_keys_and_other_curves_get_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl(d, "ec.pem", &["ecparam", "-name", "prime256v1", "-genkey", "-noout"]);
        let pass = ["-passout", "pass:secret"];
        let pkcs8 = convert(d, "ec.pem", "enc8.pem", &["pkcs8", "-topk8", "-v2", "aes-256-cbc", pass[0], pass[1]]);
        let legacy = convert(d, "ec.pem", "enc1.pem", &["ec", "-aes256", pass[0], pass[1]]);
        assert!(String::from_utf8_lossy(&legacy).contains("Proc-Type: 4,ENCRYPTED"));
        for pem in [&pkcs8, &legacy] {
            let e = parse(pem).err().expect("refused");
            assert!(e.contains("encrypted") && e.contains("openssl pkey"), "{e}");
        }
        let p384 = openssl(d, "p384.pem", &["ecparam", "-name", "secp384r1", "-genkey", "-noout"]);
        let p384_pkcs8 = convert(d, "p384.pem", "p384-8.pem", &["pkcs8", "-topk8", "-nocrypt"]);
        let ed = openssl(d, "ed.pem", &["genpkey", "-algorithm", "ed25519"]);
        for (pem, curve) in [(&p384, "P-384"), (&p384_pkcs8, "P-384"), (&ed, "Ed25519")] {
            let e = parse(pem).err().expect("refused");
            assert!(e.contains(curve) && e.contains("not supported"), "{e}");
        }
        // Saved without the public key: refused with the command that puts it back.
        convert(d, "ec.pem", "nopub.pem", &["ec", "-no_public"]);
        let e = parse(&std::fs::read(d.join("nopub.pem")).unwrap()).err().expect("refused");
        assert!(e.contains("openssl ec -in KEY -out KEY.full"), "{e}");
        let completed = convert(d, "nopub.pem", "full.pem", &["ec"]);
        assert_eq!(parse(&completed).map(|k| k.alg()).ok(), Some("ES256"), "the hint works");
        let cert_only = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(parse(cert_only).err().unwrap().contains("no PEM private key found"));
        let broken = b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n";
        assert!(parse(broken).err().unwrap().contains("not a readable PEM"));
    }

    #[test]
    fn der_lengths_in_both_forms() {
        assert_eq!(tlv(0x04, &[1, 2]), [0x04, 2, 1, 2]);
        let long = tlv(0x04, &[0; 200]);
        assert_eq!(&long[..3], [0x04, 0x81, 200]);
        assert_eq!(&tlv(0x30, &[0; 300])[..4], [0x30, 0x82, 0x01, 0x2c]);
    }
}
