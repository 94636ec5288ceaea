//! Issuing the tokens of one authorization, shared by the code and refresh
//! grants: the access token (its grant carries what /userinfo answers), a
//! refresh token for offline access, and the ID token.

use crate::account::consent;
use crate::account::session;
use crate::config::OidcApp;
use crate::policy::disclosure::{release_granted, Asked, ClaimsRequest, Released, Scopes};
use crate::policy::ProfileClaim;
use crate::protocol::dpop::Dpop;
use crate::protocol::errors::TokenError;
use crate::signing::SigningKey;
use crate::state::AppState;
use crate::store::records::{
    session_ref, AccessGrant, AccessToken, Code, FamilyId, RefreshGrant, RefreshToken, SessionId,
};
use actix_web::http::header;
use actix_web::HttpResponse;
use openidconnect::core::{CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm};
use openidconnect::{
    AccessToken as OidcAccessToken, Audience, AuthorizationCode, EndUserEmail, EndUserName, EndUserPictureUrl,
    IssuerUrl, LocalizedClaim, Nonce, StandardClaims, SubjectIdentifier,
};
use std::collections::BTreeSet;
use std::time::Duration;

/// What is being issued.
pub struct Grant<'a> {
    pub session_id: &'a SessionId,
    /// The scope of the access token and ID token.
    pub scope: &'a Scopes,
    /// The scope of a new refresh token: the authorization's, unchanged by a
    /// narrower refresh request (RFC 6749 §6).
    pub refresh_scope: &'a Scopes,
    pub nonce: Option<&'a str>,
    pub auth_time: i64,
    /// The code being redeemed: a replay revokes what it gave.
    pub code: Option<&'a Code>,
    /// The refresh-token family continued; `None` starts one.
    pub family: Option<FamilyId>,
    /// The refresh token presented, kept rather than rotated (a FAPI 2.0
    /// client): answered again, and no new one is made.
    pub kept_refresh: Option<&'a RefreshToken>,
    /// The authorization's `claims` parameter (OIDC Core §5.5).
    pub claims: Option<&'a ClaimsRequest>,
    /// The request's DPoP proof (RFC 9449 §5), already spent by the grant:
    /// the access token, and a public client's refresh token, are bound to
    /// its key.
    pub dpop: &'a Dpop,
}

pub fn session_ended() -> TokenError {
    TokenError::invalid_grant("the sign-in session has ended")
}

pub async fn issue(state: &AppState, client: OidcApp<'_>, g: Grant<'_>) -> Result<HttpResponse, TokenError> {
    let Some(mut session) = state.records.get_session(g.session_id).await? else { return Err(session_ended()) };
    let Some(session_left) = session::remaining(state, &session) else { return Err(session_ended()) };
    let lifetime = state.config.lifetimes.access_token.min(Duration::from_secs(session_left.as_secs().max(1)));
    // The one release rule: asked ∩ configured now ∩ what the user consented
    // to for this client (policy::disclosure), per target.
    let (asked, consented) =
        consent::releasable(state, &client, (&session.user_key, g.session_id), g.scope, g.claims).await?;
    let id_token_claims = Asked::release(&asked.id_token, &client.claims, &consented.given);
    let claims = Asked::release(&asked.userinfo, &client.claims, &consented.given);
    // Remember the release for the user's own view (/me).
    let released_any: BTreeSet<ProfileClaim> = claims.union(&id_token_claims).copied().collect();
    let names: Vec<&str> = released_any.iter().map(|c| c.as_str()).collect();
    session::note_disclosure(state, &mut session, &client.id, &names);
    // The session first, conditionally: one ended meanwhile (logout,
    // erasure) stays ended, and no token is issued under it.
    if !state.records.update_session(g.session_id, &session, session_left).await? {
        return Err(session_ended());
    }
    let released_profile =
        crate::account::picture::for_client(state, &client, &session, session.profile.only(&released_any)).await?;
    let subject = state.keys.pseudonymizer.pairwise_subject(&client.id, &session.user_key);
    let access_token = AccessToken::random();
    let access = AccessGrant {
        client_id: client.id.clone(),
        session: g.session_id.clone(),
        scope: *g.scope,
        subject: subject.clone(),
        released: released_profile.only(&claims),
        iat: state.now(),
        exp: state.now() + i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX),
        jkt: g.dpop.proof().map(|p| p.jkt.clone()),
    };
    if !state.records.put_access(&access_token, &access, lifetime).await? {
        return Err(session_ended());
    }
    let refresh_token = match (g.kept_refresh, &g.family) {
        (Some(kept), Some(family)) => Some(keep(state, kept, family, &access_token, lifetime).await?),
        _ if client.oidc.refresh_tokens && g.refresh_scope.contains("offline_access") => {
            Some(refresh(state, client, &g, &session, &subject, &access_token, lifetime).await?)
        }
        _ => None,
    };
    note_code(state, &g, &session, &access_token, refresh_token.as_ref(), lifetime).await?;
    let refresh_token = refresh_token.map(|(token, _)| token);
    let id_token = match g.scope.contains("openid") {
        true => {
            let values = release_granted(&released_profile, &id_token_claims);
            Some(id_token(state, client, &g, subject, &values, access_token.as_str(), lifetime)?)
        }
        false => None,
    };
    let grant_type = if g.code.is_some() { "authorization_code" } else { "refresh_token" };
    tracing::info!(client = %client.id, claims = ?names, scope = %g.scope, grant_type, refresh = refresh_token.is_some(), dpop = g.dpop.proof().is_some(), outcome = "success", "tokens issued");
    let answer = TokenResponse {
        access_token: access_token.into_string(),
        // RFC 9449 §5: a bound token's type is DPoP.
        token_type: if g.dpop.proof().is_some() { "DPoP" } else { "Bearer" },
        expires_in: lifetime.as_secs(),
        scope: g.scope.to_string(),
        id_token,
        refresh_token: refresh_token.map(RefreshToken::into_string),
    };
    let mut response = HttpResponse::Ok();
    // RFC 6749 §5.1 (Cache-Control: no-store is every answer's, in startup).
    response.insert_header((header::PRAGMA, "no-cache"));
    g.dpop.nonce_on(&mut response);
    Ok(response.json(answer))
}

/// RFC 6749 §5.1: the token response.
#[derive(serde::Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

/// For a code: what it gave, so that a replay revokes it (RFC 6749
/// §4.1.2), the refresh tokens too, for as long as they can live.
async fn note_code(
    state: &AppState,
    g: &Grant<'_>,
    session: &crate::store::records::Session,
    access_token: &AccessToken,
    refresh: Option<&(RefreshToken, FamilyId)>,
    lifetime: Duration,
) -> Result<(), TokenError> {
    let Some(code) = g.code else { return Ok(()) };
    let (family, ttl) = match refresh {
        Some((_, family)) => (Some(family), session::until_end(state, session)),
        None => (None, lifetime),
    };
    state.records.note_redeemed_code(code, access_token, family, g.session_id, ttl).await?;
    Ok(())
}

/// The ID token (OIDC Core §2), signed in the client's algorithm.
fn id_token(
    state: &AppState,
    client: OidcApp<'_>,
    g: &Grant<'_>,
    subject: String,
    values: &Released<'_>,
    access_token: &str,
    lifetime: Duration,
) -> Result<String, TokenError> {
    let Some(signer) = state.keys.signing.signer(client.oidc.id_token_alg) else {
        // Keys::load refuses a config without a key for every client's algorithm.
        tracing::error!(client = %client.id, alg = %client.oidc.id_token_alg, "no signing key for the client's algorithm");
        return Err(TokenError::server_error());
    };
    let content = IdTokenContent {
        issuer: &state.issuer,
        client_id: &client.id,
        subject,
        claims: values,
        nonce: g.nonce,
        auth_time: g.auth_time,
        now: state.clock.now(),
        lifetime,
        access_token,
        sid: client
            .oidc
            .backchannel_logout
            .as_ref()
            .map(|_| state.keys.pseudonymizer.pairwise_sid(&client.id, &session_ref(g.session_id))),
    };
    sign_id_token(signer, &content).map_err(|e| {
        tracing::error!(error = %e, "ID token signing failed");
        TokenError::server_error()
    })
}

/// A new refresh token in the grant's family (a new family for a code),
/// living no longer than the session's absolute end; with its family.
async fn refresh(
    state: &AppState,
    client: OidcApp<'_>,
    g: &Grant<'_>,
    session: &crate::store::records::Session,
    subject: &str,
    access_token: &AccessToken,
    access_lifetime: Duration,
) -> Result<(RefreshToken, FamilyId), TokenError> {
    let family = g.family.clone().unwrap_or_else(FamilyId::random);
    let until_end = session::until_end(state, session);
    let token = RefreshToken::random();
    let record = RefreshGrant {
        client_id: client.id.clone(),
        session: g.session_id.clone(),
        scope: *g.refresh_scope,
        family: family.clone(),
        auth_time: g.auth_time,
        subject: subject.to_owned(),
        iat: state.now(),
        exp: session.expires_at,
        // Confidential clients' refresh tokens are bound by the client's
        // own authentication instead (RFC 9449 §5).
        jkt: g.dpop.proof().filter(|_| client.is_public()).map(|p| p.jkt.clone()),
        rotated: false,
        claims: g.claims.cloned(),
    };
    if !state.records.put_refresh(&token, &record, until_end, &session.user_key).await? {
        return Err(session_ended());
    }
    state.records.join_family(&family, access_token, access_lifetime).await?;
    // A reuse elsewhere may have revoked the family while these were written.
    if state.records.family_revoked(&family).await? {
        state.records.revoke_family(&family).await?;
        return Err(TokenError::invalid_grant("the refresh token's grant was revoked"));
    }
    Ok((token, family))
}

/// The refresh token presented stays the client's (no rotation): the new
/// access token joins its family, so that revoking the family ends both.
async fn keep(
    state: &AppState,
    kept: &RefreshToken,
    family: &FamilyId,
    access_token: &AccessToken,
    access_lifetime: Duration,
) -> Result<(RefreshToken, FamilyId), TokenError> {
    state.records.join_family(family, access_token, access_lifetime).await?;
    // A revocation racing this refresh leaves its tombstone: undo.
    if state.records.family_revoked(family).await? {
        state.records.revoke_family(family).await?;
        return Err(TokenError::invalid_grant("the refresh token's grant was revoked"));
    }
    Ok((kept.clone(), family.clone()))
}

/// What an ID token says.
pub struct IdTokenContent<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The pairwise subject.
    pub subject: String,
    /// The released claim values (name, email, picture).
    pub claims: &'a Released<'a>,
    pub nonce: Option<&'a str>,
    pub auth_time: i64,
    pub now: chrono::DateTime<chrono::Utc>,
    pub lifetime: Duration,
    /// For `at_hash`.
    pub access_token: &'a str,
    /// The client's `sid` for this session, for clients with back-channel
    /// logout (Back-Channel Logout 1.0 §2.1).
    pub sid: Option<String>,
}

/// The one claim claimgate adds to the standard ones: `sid`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SessionClaim {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl openidconnect::AdditionalClaims for SessionClaim {}

type IdTokenClaims = openidconnect::IdTokenClaims<SessionClaim, CoreGenderClaim>;
type IdToken =
    openidconnect::IdToken<SessionClaim, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

#[derive(Debug, thiserror::Error)]
#[error("ID token signing failed: {0}")]
pub struct SigningError(String);

/// Signs an ID token with `key`, in its algorithm.
pub fn sign_id_token(key: &SigningKey, c: &IdTokenContent) -> Result<String, SigningError> {
    let mut standard = StandardClaims::<CoreGenderClaim>::new(SubjectIdentifier::new(c.subject.clone()));
    if let Some(name) = c.claims.name {
        standard = standard.set_name(Some(LocalizedClaim::from(EndUserName::new(name.to_owned()))));
    }
    if let Some(email) = c.claims.email {
        standard = standard
            .set_email(Some(EndUserEmail::new(email.address.to_owned())))
            .set_email_verified(Some(email.verified));
    }
    if let Some(picture) = c.claims.picture {
        standard = standard.set_picture(Some(LocalizedClaim::from(EndUserPictureUrl::new(picture.to_owned()))));
    }
    let issuer = IssuerUrl::new(c.issuer.to_owned()).map_err(|e| SigningError(e.to_string()))?;
    let id_claims = IdTokenClaims::new(
        issuer,
        vec![Audience::new(c.client_id.to_owned())],
        c.now + chrono::Duration::from_std(c.lifetime).unwrap_or(chrono::Duration::minutes(5)),
        c.now,
        standard,
        SessionClaim { sid: c.sid.clone() },
    )
    .set_nonce(c.nonce.map(|n| Nonce::new(n.to_owned())))
    .set_auth_time(chrono::DateTime::from_timestamp(c.auth_time, 0));
    IdToken::new(
        id_claims,
        key,
        key.alg().jws(),
        Some(&OidcAccessToken::new(c.access_token.to_owned())),
        None::<&AuthorizationCode>,
    )
    .map(|t| t.to_string())
    .map_err(|e| SigningError(e.to_string()))
}
