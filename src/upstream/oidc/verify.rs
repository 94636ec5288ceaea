//! Full validation of an upstream ID token (OIDC Core §3.1.3.7): signature
//! with an asymmetric algorithm, `aud`, `azp`, `exp`, `iat`, `nonce`, then
//! `iss` by the provider's issuer rule.

use super::IssuerRule;
use crate::policy::UpstreamClaims;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier, CoreJwsSigningAlgorithm};
use openidconnect::{ClaimsVerificationError, ClientId, Nonce, SignatureVerificationError};

/// Asymmetric algorithms only: HS* would let anyone holding our client
/// secret, or a confused verifier holding a public key, forge tokens.
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// How far in the future an ID token's `iat` may be (clock skew).
const MAX_IAT_SKEW: chrono::Duration = chrono::Duration::seconds(60);
const ISSUED_IN_FUTURE: &str = "issued in the future";

/// A verified upstream ID token.
pub struct Verified {
    /// The issuer the user key is derived from.
    pub issuer: String,
    pub subject: String,
    /// When the user authenticated at the provider (`auth_time`), if it says.
    pub auth_time: Option<i64>,
    pub claims: UpstreamClaims,
}

/// Full ID-token validation: signature with an asymmetric algorithm against
/// the verifier's keys, `aud` (no untrusted extra audience), `exp`, `nonce`,
/// then `iss` by the issuer rule and `azp` against our client id.
/// Returns the issuer, the subject and every claim of the verified payload.
pub fn verify_id_token(
    verifier: CoreIdTokenVerifier<'_>,
    issuer_rule: &IssuerRule,
    client_id: &ClientId,
    id_token: &CoreIdToken,
    nonce: &Nonce,
) -> Result<Verified, ClaimsVerificationError> {
    let verifier = verifier
        .set_allowed_algs(ALLOWED_ALGS)
        // OIDC Core §3.1.3.7 (10): an `iat` far in the future is not a token issued now.
        .set_issue_time_verifier_fn(|iat| match iat > chrono::Utc::now() + MAX_IAT_SKEW {
            true => Err(ISSUED_IN_FUTURE.into()),
            false => Ok(()),
        })
        // The issuer is checked below by the issuer rule.
        .require_issuer_match(false);
    let claims = id_token.claims(&verifier, nonce)?;
    // More than one audience is refused by the verifier (no other audience
    // is trusted); an azp, when present, must be us.
    if let Some(azp) = claims.authorized_party() {
        if azp.as_str() != client_id.as_str() {
            return Err(ClaimsVerificationError::InvalidAudience("azp is another client".into()));
        }
    }
    // The signature is verified: now read every claim, so that the filter
    // sees (and reports) everything the provider sent.
    let payload = id_token.to_string();
    let all = payload
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&b).ok())
        .ok_or_else(|| ClaimsVerificationError::Other("unreadable payload".into()))?;
    let tid = all.get("tid").and_then(|t| t.as_str());
    let issuer = issuer_rule
        .check(claims.issuer().as_str(), tid)
        .ok_or_else(|| ClaimsVerificationError::InvalidIssuer("unexpected issuer".into()))?;
    Ok(Verified {
        issuer,
        subject: claims.subject().to_string(),
        auth_time: claims.auth_time().map(|t| t.timestamp()),
        claims: UpstreamClaims::new(all),
    })
}

/// A reason code without any value from the token.
pub(super) fn verification_reason(e: &ClaimsVerificationError) -> &'static str {
    match e {
        // Our iat check reports through the same variant as `exp`.
        ClaimsVerificationError::Expired(reason) if reason == ISSUED_IN_FUTURE => "id_token_issued_in_future",
        ClaimsVerificationError::Expired(_) => "id_token_expired",
        ClaimsVerificationError::InvalidAudience(_) => "id_token_wrong_audience",
        ClaimsVerificationError::InvalidIssuer(_) => "id_token_wrong_issuer",
        ClaimsVerificationError::InvalidNonce(_) => "id_token_nonce_mismatch",
        ClaimsVerificationError::InvalidSubject(_) => "id_token_bad_subject",
        ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey) => {
            "id_token_unknown_key"
        }
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::DisallowedAlg(_) | SignatureVerificationError::UnsupportedAlg(_),
        ) => "id_token_disallowed_alg",
        ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoSignature) => "id_token_unsigned",
        ClaimsVerificationError::SignatureVerification(_) => "id_token_bad_signature",
        _ => "id_token_invalid",
    }
}
