//! DPoP at claimgate's endpoints (RFC 9449): reading a request's proof,
//! checking it against the endpoint and claimgate's nonce, and spending its
//! `jti` once the request is otherwise known good (so that nothing
//! unauthenticated is stored). The endpoints turn a [`DpopError`] into the
//! answer their RFC names: 400 JSON at the token, PAR, revocation and
//! introspection endpoints (§5, §8), a 401 `DPoP` challenge at userinfo (§7.1, §9).

use crate::dpop::{self, Expected, Proof, ProofError, MAX_AGE_SECS, MAX_SKEW_SECS};
use crate::protocol::errors::{BearerError, OAuthError, Scheme, TokenError};
use crate::state::AppState;
use crate::store::StoreError;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponseBuilder};
use std::future::{ready, Ready};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// Why a request's DPoP proof was refused.
#[derive(Debug)]
pub enum DpopError {
    Invalid(ProofError),
    Several,
    Required,
    WrongKey,
    Replayed,
    /// §8, §9: the proof lacks claimgate's current nonce.
    UseNonce,
    Store(StoreError),
}

impl From<StoreError> for DpopError {
    fn from(e: StoreError) -> Self {
        DpopError::Store(e)
    }
}

impl std::fmt::Display for DpopError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DpopError::Store(e) => e.fmt(f),
            other => f.write_str(other.description()),
        }
    }
}

impl std::error::Error for DpopError {}

impl DpopError {
    /// A stable reason code for logs.
    pub fn reason(&self) -> &'static str {
        match self {
            DpopError::Invalid(e) => e.reason(),
            DpopError::Several => "several_proofs",
            DpopError::Required => "proof_required",
            DpopError::WrongKey => "wrong_key",
            DpopError::Replayed => "jti_replayed",
            DpopError::UseNonce => "nonce_required",
            DpopError::Store(_) => "store",
        }
    }

    fn description(&self) -> &'static str {
        match self {
            DpopError::Invalid(e) => e.description(),
            DpopError::Several => "send one DPoP proof",
            DpopError::Required => "a DPoP proof is required",
            DpopError::WrongKey => "the DPoP proof's key is not the one the grant is bound to",
            DpopError::Replayed => "the DPoP proof was already used",
            DpopError::UseNonce => "use the DPoP-Nonce the server sent",
            DpopError::Store(_) => "the service is temporarily unavailable; try again",
        }
    }

    fn code(&self) -> OAuthError {
        match self {
            DpopError::UseNonce => OAuthError::UseDpopNonce,
            _ => OAuthError::InvalidDpopProof,
        }
    }

    fn log(&self) {
        match self {
            // The normal first exchange of every DPoP client (§8).
            DpopError::UseNonce => tracing::debug!(reason = self.reason(), "DPoP nonce challenge"),
            _ => tracing::warn!(reason = self.reason(), "DPoP proof refused"),
        }
    }

    /// The token-endpoint answer (RFC 9449 §5, §8), with a fresh nonce.
    pub fn into_token_error(self, state: &AppState) -> TokenError {
        self.log();
        match self {
            DpopError::Store(e) => e.into(),
            e => TokenError::new(e.code(), e.description()).with_dpop_nonce(nonce(state)),
        }
    }

    /// The protected-resource answer (RFC 9449 §7.1, §9), with a fresh nonce.
    pub fn into_bearer_error(self, state: &AppState) -> BearerError {
        self.log();
        match self {
            DpopError::Store(e) => e.into(),
            e => BearerError::dpop(e.code(), e.description()).with_dpop_nonce(nonce(state)),
        }
    }
}

/// The nonce a client's next proof must carry (`DPoP-Nonce`).
pub fn nonce(state: &AppState) -> String {
    state.keys.dpop_nonces.current(state.now())
}

/// The request's DPoP proof for the endpoint at `path`, checked (RFC 9449
/// §4.3) but not yet spent; `None` when the request has none. At a
/// protected resource, `access_token` is the token it presents (`ath`).
pub fn proof(
    state: &AppState,
    req: &HttpRequest,
    path: &str,
    access_token: Option<&str>,
) -> Result<Option<Proof>, DpopError> {
    let mut headers = req.headers().get_all("dpop");
    let Some(value) = headers.next() else { return Ok(None) };
    // §4.3 point 1: exactly one.
    if headers.next().is_some() {
        return Err(DpopError::Several);
    }
    let value = value.to_str().map_err(|_| DpopError::Invalid(ProofError::Malformed))?;
    let url = format!("{}{path}", state.issuer);
    let expected = Expected { method: req.method().as_str(), url: &url, now: state.now(), access_token };
    let proof = dpop::validate(value, &expected).map_err(DpopError::Invalid)?;
    // §4.3 point 10: claimgate always asks for its own nonce (§8, §9), which
    // bounds how long a proof made in advance can be used.
    match &proof.nonce {
        Some(n) if state.keys.dpop_nonces.accepts(n, state.now()) => Ok(Some(proof)),
        _ => Err(DpopError::UseNonce),
    }
}

/// Marks the proof used (§11.1); a second use is refused. Called once the
/// request is otherwise known good.
pub async fn spend(state: &AppState, proof: &Proof) -> Result<(), DpopError> {
    let lifetime = Duration::from_secs((MAX_AGE_SECS + MAX_SKEW_SECS) as u64);
    match state.records.spend_dpop_proof(&proof.jkt, &proof.jti, lifetime).await? {
        true => Ok(()),
        false => Err(DpopError::Replayed),
    }
}

/// Refuses unless `proof` is by the key a grant is bound to.
fn bound_key(state: &AppState, bound: &str, proof: Option<&Proof>) -> Result<(), TokenError> {
    match proof {
        Some(p) if bool::from(p.jkt.as_bytes().ct_eq(bound.as_bytes())) => Ok(()),
        Some(_) => Err(DpopError::WrongKey.into_token_error(state)),
        None => Err(DpopError::Required.into_token_error(state)),
    }
}

/// A back-channel request's DPoP proof (`/token`, `/par`, `/introspect`,
/// `/revoke`), as an extractor: read and checked against the route it came
/// to (§4.3), its refusal held until the endpoint asks for it
/// ([`DpopRequest::checked`]), so that client authentication answers first.
pub struct DpopRequest {
    state: web::Data<AppState>,
    checked: Result<Option<Proof>, DpopError>,
}

impl FromRequest for DpopRequest {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
            return ready(Err(actix_web::error::ErrorInternalServerError("no application state")));
        };
        // `htu` is the endpoint's URL under the issuer (§4.3 point 9).
        let path = req.match_pattern().unwrap_or_else(|| req.path().to_owned());
        let checked = proof(&state, req, &path, None);
        ready(Ok(DpopRequest { state, checked }))
    }
}

impl DpopRequest {
    /// The proof (or none), or the endpoint's refusal (§5, §8: 400 with a
    /// fresh nonce).
    pub fn checked(self) -> Result<Dpop, TokenError> {
        match self.checked {
            Ok(proof) => Ok(Dpop { state: self.state, proof }),
            Err(e) => Err(e.into_token_error(&self.state)),
        }
    }
}

/// A checked DPoP proof at a back-channel endpoint, or none: what the
/// endpoint binds to it, spends, and answers with.
pub struct Dpop {
    state: web::Data<AppState>,
    proof: Option<Proof>,
}

impl Dpop {
    pub fn proof(&self) -> Option<&Proof> {
        self.proof.as_ref()
    }

    /// Refuses unless the proof is by `jkt`, the key a grant is bound to.
    pub fn bound_to(&self, jkt: &str) -> Result<(), TokenError> {
        bound_key(&self.state, jkt, self.proof())
    }

    /// Marks the proof used (§11.1), once the request is otherwise known
    /// good; a second use is refused.
    pub async fn spend(&self) -> Result<(), TokenError> {
        match &self.proof {
            Some(p) => spend(&self.state, p).await.map_err(|e| e.into_token_error(&self.state)),
            None => Ok(()),
        }
    }

    /// Where a proof came: the nonce its client's next proof must carry (§8).
    pub fn nonce_on(&self, response: &mut HttpResponseBuilder) {
        if self.proof.is_some() {
            response.insert_header(("DPoP-Nonce", nonce(&self.state)));
        }
    }

    /// A refusal of this request's proof, as the token endpoint answers it.
    pub fn refuse(&self, e: DpopError) -> TokenError {
        e.into_token_error(&self.state)
    }
}

/// Whether a protected resource's token was presented as its binding
/// requires: a DPoP-bound token only as `DPoP` with a fresh proof by its
/// key for `path` (RFC 9449 §7.1), spent here; a bearer token only where
/// the client does not require DPoP (§5.2).
pub async fn check_presentation(
    state: &AppState,
    req: &HttpRequest,
    path: &str,
    (scheme, token): (Scheme, &str),
    bound: Option<&str>,
    require_dpop: bool,
) -> Result<(), BearerError> {
    match (scheme, bound) {
        (Scheme::DPoP, Some(bound)) => {
            let refused = |e: DpopError| e.into_bearer_error(state);
            let proof = proof(state, req, path, Some(token)).map_err(refused)?;
            let proof = proof.ok_or(DpopError::Required).map_err(refused)?;
            if !bool::from(proof.jkt.as_bytes().ct_eq(bound.as_bytes())) {
                return Err(refused(DpopError::WrongKey));
            }
            spend(state, &proof).await.map_err(refused)?;
        }
        // §7.1: a stolen DPoP-bound token is useless as a bearer token.
        (Scheme::Bearer, Some(_)) => {
            return Err(BearerError::dpop(
                OAuthError::InvalidToken,
                "the access token is DPoP-bound: present it with DPoP",
            ))
        }
        (Scheme::DPoP, None) => {
            return Err(BearerError::invalid_token_because("the access token is not DPoP-bound: present it as Bearer"))
        }
        // §5.2: such a client's bearer tokens are refused too.
        (Scheme::Bearer, None) if require_dpop => {
            return Err(BearerError::dpop(OAuthError::InvalidToken, "this client's access tokens must be DPoP-bound"))
        }
        (Scheme::Bearer, None) => {}
    }
    Ok(())
}

/// The token and how it was presented: `Authorization: Bearer` (RFC 6750
/// §2.1) or `Authorization: DPoP` (RFC 9449 §7.1).
pub fn presented(req: &HttpRequest) -> Result<(Scheme, String), BearerError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(BearerError::missing());
    };
    let value = value.to_str().map_err(|_| BearerError::invalid_request("malformed Authorization header"))?;
    let (scheme, token) =
        value.split_once(' ').ok_or_else(|| BearerError::invalid_request("malformed Authorization header"))?;
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::DPoP
    } else {
        return Err(BearerError::missing());
    };
    if token.trim().is_empty() {
        return Err(BearerError::missing());
    }
    Ok((scheme, token.trim().to_owned()))
}
