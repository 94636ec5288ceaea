//! `kind = "dev"`: a built-in stand-in upstream for trying claimgate without
//! Google credentials or network (the idea of Dex's mock connector). It
//! signs in one fixed sample user who carries extra claims, so that the
//! filter's work is visible. Config refuses it unless `public_url` is loopback.

use super::{CallbackParams, StartOptions, UpstreamError, UpstreamPending, UpstreamProvider, UpstreamStart};
use crate::policy::{UpstreamClaims, UpstreamIdentity};
use async_trait::async_trait;
use serde_json::json;
use url::Url;

pub struct DevProvider {
    id: String,
    display_name: String,
    /// `{public_url}/dev/{id}/authorize`: claimgate's own sample login page.
    authorize_url: Url,
    issuer: String,
}

impl DevProvider {
    pub fn new(id: &str, display_name: &str, public_url: &str) -> Result<Self, url::ParseError> {
        let base = public_url.trim_end_matches('/');
        Ok(Self {
            id: id.to_owned(),
            display_name: display_name.to_owned(),
            authorize_url: Url::parse(&format!("{base}/dev/{id}/authorize"))?,
            issuer: format!("{base}/dev/{id}"),
        })
    }

    /// Where the dev provider serves the sample user's picture: claimgate
    /// itself, on loopback, so that the picture proxy works offline.
    pub fn picture_url(public_url: &str, id: &str) -> String {
        format!("{}/dev/{id}/picture.png", public_url.trim_end_matches('/'))
    }

    /// The sample user's picture: a small PNG drawn here (a blue disc).
    pub fn sample_picture() -> Vec<u8> {
        use image::{ImageBuffer, ImageFormat, Rgb};
        let disc = ImageBuffer::from_fn(96, 96, |x, y| {
            let (dx, dy) = (i64::from(x) - 48, i64::from(y) - 48);
            if dx * dx + dy * dy < 40 * 40 {
                Rgb([0x2b_u8, 0x6c, 0xb0])
            } else {
                Rgb([0xe8, 0xee, 0xf4])
            }
        });
        let mut png = Vec::new();
        // Encoding a valid in-memory image into a Vec does not fail; an
        // empty body would only mean no picture for the sample user.
        let _ = disc.write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png);
        png
    }

    /// The sample user's claims, as a Google-like provider would send them,
    /// with the picture at `picture_url`.
    pub fn sample_claims(picture_url: &str) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_value(json!({
            "sub": "dev-user-0001",
            "name": "Sam Sample",
            "email": "sam.sample@example.com",
            "email_verified": true,
            "picture": picture_url,
            "given_name": "Sam",
            "family_name": "Sample",
            "locale": "en-GB",
            "birthdate": "1990-01-01",
            "phone_number": "+44 20 7946 0000",
            "groups": ["staff", "admins"]
        }))
        // A JSON object literal always reads as a map.
        .unwrap_or_default()
    }
}

#[async_trait]
impl UpstreamProvider for DevProvider {
    fn id(&self) -> &str {
        &self.id
    }

    fn display_name(&self) -> &str {
        &self.display_name
    }

    fn start(&self, _options: StartOptions) -> UpstreamStart {
        let state = openidconnect::CsrfToken::new_random().secret().clone();
        let pending = UpstreamPending { state, nonce: String::new(), pkce_verifier: String::new() };
        let mut url = self.authorize_url.clone();
        url.query_pairs_mut().append_pair("state", &pending.state);
        UpstreamStart { url, pending }
    }

    async fn finish(
        &self,
        pending: UpstreamPending,
        params: CallbackParams,
    ) -> Result<UpstreamIdentity, UpstreamError> {
        if params.into_code(&pending.state)? != "dev-approved" {
            return Err(UpstreamError::MissingCode);
        }
        let claims = Self::sample_claims(&format!("{}/picture.png", self.issuer));
        let subject = claims.get("sub").and_then(|s| s.as_str()).unwrap_or_default().to_owned();
        Ok(UpstreamIdentity {
            issuer: self.issuer.clone(),
            subject,
            auth_time: None,
            claims: UpstreamClaims::new(claims),
        })
    }
}
