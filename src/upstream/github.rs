//! `kind = "github"`: plain OAuth 2.0 with the `oauth2` crate (authorization
//! code, PKCE S256, state), then GitHub's REST API: the profile from
//! `GET /user`, the primary *verified* address from `GET /user/emails`.
//! `name` falls back to `login`; `avatar_url` becomes `picture` (a provider
//! map default); the numeric user id is the upstream subject. Base URLs are
//! configurable for GitHub Enterprise and for tests against a local fake.

use super::http::UpstreamHttp;
use super::{CallbackParams, StartOptions, UpstreamError, UpstreamPending, UpstreamProvider, UpstreamStart};
use crate::policy::{UpstreamClaims, UpstreamIdentity};
use async_trait::async_trait;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value};

pub struct GithubProvider {
    id: String,
    display_name: String,
    client_id: String,
    client_secret: SecretString,
    auth_url: AuthUrl,
    token_url: TokenUrl,
    redirect_uri: RedirectUrl,
    api_url: String,
    /// Identifies this GitHub (github.com or an Enterprise host) in the user key.
    issuer: String,
    http: UpstreamHttp,
}

#[derive(Deserialize)]
struct GithubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

impl GithubProvider {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: &str,
        display_name: &str,
        client_id: &str,
        client_secret: SecretString,
        web_url: &str,
        api_url: &str,
        public_url: &str,
        http: UpstreamHttp,
    ) -> Result<Self, url::ParseError> {
        let web = web_url.trim_end_matches('/');
        Ok(Self {
            id: id.to_owned(),
            display_name: display_name.to_owned(),
            client_id: client_id.to_owned(),
            client_secret,
            auth_url: AuthUrl::new(format!("{web}/login/oauth/authorize"))?,
            token_url: TokenUrl::new(format!("{web}/login/oauth/access_token"))?,
            redirect_uri: RedirectUrl::new(super::oidc::redirect_uri(public_url, id))?,
            api_url: api_url.trim_end_matches('/').to_owned(),
            issuer: web.to_owned(),
            http,
        })
    }

    fn client(
        &self,
    ) -> BasicClient<
        oauth2::EndpointSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointSet,
    > {
        BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.expose_secret().to_owned()))
            .set_auth_uri(self.auth_url.clone())
            .set_token_uri(self.token_url.clone())
            .set_redirect_uri(self.redirect_uri.clone())
            // GitHub documents the secret as a form parameter.
            .set_auth_type(AuthType::RequestBody)
    }

    async fn api<T: serde::de::DeserializeOwned>(&self, path: &str, token: &str) -> Result<T, UpstreamError> {
        let url = reqwest::Url::parse(&format!("{}{path}", self.api_url))
            .map_err(|_| UpstreamError::InvalidUserinfo("github_api_url"))?;
        let headers = [("accept", "application/vnd.github+json"), ("x-github-api-version", "2022-11-28")];
        let response = self.http.get(url, Some(token), &headers).await?;
        if !response.status.is_success() {
            return Err(UpstreamError::InvalidUserinfo("github_api_error"));
        }
        serde_json::from_slice(&response.body).map_err(|_| UpstreamError::InvalidUserinfo("github_api_unreadable"))
    }
}

#[async_trait]
impl UpstreamProvider for GithubProvider {
    fn id(&self) -> &str {
        &self.id
    }

    fn display_name(&self) -> &str {
        &self.display_name
    }

    fn start(&self, options: StartOptions) -> UpstreamStart {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client();
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            // Profile and email addresses, read-only; nothing more.
            .add_scope(Scope::new("read:user".into()))
            .add_scope(Scope::new("user:email".into()))
            .set_pkce_challenge(challenge);
        // GitHub has neither `prompt=login` nor `max_age`; its account
        // picker is the closest it offers, and the sign-in is fresh anyway.
        if options.force_login || options.max_age.is_some() {
            request = request.add_extra_param("prompt", "select_account");
        }
        let (url, state) = request.url();
        UpstreamStart {
            url,
            pending: UpstreamPending {
                state: state.secret().clone(),
                nonce: String::new(),
                pkce_verifier: verifier.secret().clone(),
            },
        }
    }

    async fn finish(
        &self,
        pending: UpstreamPending,
        params: CallbackParams,
    ) -> Result<UpstreamIdentity, UpstreamError> {
        let code = params.into_code(&pending.state)?;
        let token = self
            .client()
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                // GitHub answers errors with 200 and an `error` member.
                oauth2::RequestTokenError::Parse(_, body)
                    if serde_json::from_slice::<Map<String, Value>>(&body).is_ok_and(|m| m.contains_key("error")) =>
                {
                    UpstreamError::TokenEndpoint
                }
                oauth2::RequestTokenError::Parse(_, _) => UpstreamError::UnreadableTokenResponse,
                _ => UpstreamError::TokenEndpoint,
            })?;
        let access = token.access_token().secret();

        let mut user: Map<String, Value> = self.api("/user", access).await?;
        let subject = match user.get("id") {
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(UpstreamError::InvalidUserinfo("github_user_without_id")),
        };
        let emails: Vec<GithubEmail> = self.api("/user/emails", access).await?;
        // The primary address, with GitHub's verified flag: the filter
        // refuses an unverified one unless the provider's config allows it.
        let chosen = emails.into_iter().find(|e| e.primary).map(|e| (e.email, e.verified));
        // Claims as the filter sees them: GitHub's /user fields, with `sub`,
        // `name` (falling back to `login`), and the chosen address.
        let name = user.get("name").and_then(Value::as_str).filter(|n| !n.trim().is_empty()).map(str::to_owned);
        let login = user.get("login").and_then(Value::as_str).map(str::to_owned);
        if let Some(name) = name.or(login) {
            user.insert("name".into(), Value::String(name));
        }
        user.insert("sub".into(), Value::String(subject.clone()));
        match chosen {
            Some((email, verified)) => {
                user.insert("email".into(), Value::String(email));
                user.insert("email_verified".into(), Value::Bool(verified));
            }
            None => {
                // No address at all: the filter refuses the login when the
                // notice keeps email.
                user.remove("email");
                user.remove("email_verified");
            }
        }
        // The access token is dropped here.
        // GitHub does not say when the user authenticated: the sign-in is now.
        Ok(UpstreamIdentity {
            issuer: self.issuer.clone(),
            subject,
            auth_time: None,
            claims: UpstreamClaims::new(user),
        })
    }
}
