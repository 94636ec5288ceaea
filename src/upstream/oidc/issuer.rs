//! How the `iss` of an upstream ID token (and the RFC 9207 `iss` callback
//! parameter) is checked: one exact issuer (Google: also its bare
//! spelling), or Microsoft's multi-tenant template.

use super::Metadata;
use crate::config::is_guid;
use crate::upstream::http::{FetchError, UpstreamHttp};

pub(super) const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// How the `iss` of an upstream ID token is checked.
#[derive(Debug, Clone)]
pub enum IssuerRule {
    /// One of these exact spellings; the first is canonical (the user key
    /// uses it, so Google's two spellings give one user).
    Exact(Vec<String>),
    /// Microsoft's multi-tenant endpoints (`common`, `organizations`,
    /// `consumers`): discovery names the issuer as a template with
    /// `{tenantid}`; a token's `iss` must be that template with the token's
    /// own `tid`, a GUID, put in — nothing looser.
    TenantTemplate(String),
}

impl IssuerRule {
    /// The issuer a verified token speaks for (the user key uses it), if accepted.
    pub(super) fn check(&self, iss: &str, tid: Option<&str>) -> Option<String> {
        match self {
            IssuerRule::Exact(accepted) => accepted.first().filter(|_| accepted.iter().any(|a| a == iss)).cloned(),
            IssuerRule::TenantTemplate(template) => {
                let tid = tid.filter(|t| is_guid(t))?;
                let expected = template.replace(TENANT_PLACEHOLDER, tid);
                (iss == expected).then_some(expected)
            }
        }
    }

    /// RFC 9207 `iss` on the callback: the issuer, or for a tenant template
    /// the template with some tenant GUID.
    pub(super) fn accepts_parameter(&self, iss: &str) -> bool {
        match self {
            IssuerRule::Exact(accepted) => accepted.first().is_some_and(|a| a == iss),
            IssuerRule::TenantTemplate(template) => {
                let (prefix, suffix) = template.split_once(TENANT_PLACEHOLDER).unwrap_or((template, ""));
                iss.strip_prefix(prefix).and_then(|r| r.strip_suffix(suffix)).is_some_and(is_guid)
            }
        }
    }
}

/// `…/common/v2.0`, `…/organizations/v2.0`, `…/consumers/v2.0`: the
/// multi-tenant segment, if the issuer is one.
pub(super) fn multi_tenant_segment(issuer: &str) -> Option<&'static str> {
    let path = url::Url::parse(issuer).ok()?.path().to_owned();
    ["common", "organizations", "consumers"].into_iter().find(|s| path.split('/').any(|p| p == *s))
}

/// Discovery for a multi-tenant endpoint, whose document names a template
/// issuer: the configured issuer must be that template with the endpoint's
/// segment put in.
pub(super) async fn discover_tenant_template(
    issuer: &str,
    segment: &str,
    http: &UpstreamHttp,
) -> Result<Metadata, TenantDiscoveryError> {
    let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let parsed = reqwest::Url::parse(&url).map_err(|e| TenantDiscoveryError::Url(e.to_string()))?;
    let (metadata, _): (Metadata, _) = http.get_json(parsed).await?;
    let template = metadata.issuer().to_string();
    if !template.contains(TENANT_PLACEHOLDER) || template.replace(TENANT_PLACEHOLDER, segment) != issuer {
        return Err(TenantDiscoveryError::Template { template, issuer: issuer.to_owned() });
    }
    Ok(metadata)
}

#[derive(Debug, thiserror::Error)]
pub enum TenantDiscoveryError {
    #[error("not a URL: {0}")]
    Url(String),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("the discovery document names issuer {template}, which does not match {issuer}")]
    Template { template: String, issuer: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";
    const TID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

    #[test]
    fn tenant_template_takes_the_tokens_own_tid_and_nothing_looser() {
        let rule = IssuerRule::TenantTemplate(TEMPLATE.into());
        let iss = format!("https://login.microsoftonline.com/{TID}/v2.0");
        assert_eq!(rule.check(&iss, Some(TID)), Some(iss.clone()));
        let other = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        assert_eq!(rule.check(&iss, Some(other)), None, "iss of another tenant than tid");
        assert_eq!(rule.check(&iss, None), None, "no tid");
        assert_eq!(rule.check("https://login.microsoftonline.com/x/v2.0", Some("x")), None, "tid not a GUID");
        assert_eq!(rule.check("https://evil.example/{tid}/v2.0", Some(TID)), None);
        assert!(rule.accepts_parameter(&iss));
        assert!(!rule.accepts_parameter("https://login.microsoftonline.com/common/v2.0"));
    }

    #[test]
    fn exact_rule_maps_google_spellings_to_one_issuer() {
        let rule = IssuerRule::Exact(vec!["https://accounts.google.com".into(), "accounts.google.com".into()]);
        assert_eq!(rule.check("accounts.google.com", None).as_deref(), Some("https://accounts.google.com"));
        assert_eq!(rule.check("https://accounts.google.com", None).as_deref(), Some("https://accounts.google.com"));
        assert_eq!(rule.check("https://accounts.google.com.evil", None), None);
    }

    #[test]
    fn multi_tenant_endpoints_are_recognised() {
        assert_eq!(multi_tenant_segment("https://login.microsoftonline.com/common/v2.0"), Some("common"));
        assert_eq!(multi_tenant_segment("https://login.microsoftonline.com/organizations/v2.0"), Some("organizations"));
        assert_eq!(
            multi_tenant_segment("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"),
            None
        );
        assert_eq!(multi_tenant_segment("https://accounts.google.com"), None);
    }
}
