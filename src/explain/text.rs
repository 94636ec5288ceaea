//! The disclosure document as text tables (`claimgate policy explain`, `check`).

use super::DisclosureDocument;
use std::fmt::Write;

/// The document as text tables.
pub fn text(doc: &DisclosureDocument) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "notice.keeps: {}", doc.notice.keeps.join(", "));
    if let Some(v) = &doc.notice.version {
        let _ = writeln!(out, "notice.version: {v}");
    }
    if let Some(u) = &doc.notice.url {
        let _ = writeln!(out, "notice.url: {u}");
    }
    if let Some(r) = &doc.notice.revised {
        let _ = writeln!(out, "notice.revised: {r}");
    }
    let _ = writeln!(out, "notice.picture: {}: {}", doc.notice.picture.mode, doc.notice.picture.rule);
    let _ = writeln!(
        out,
        "consent (lifetimes.consent_secs = {}): {}",
        doc.notice.consent.lifetime_secs, doc.notice.consent.rule
    );
    for p in &doc.providers {
        let issuer = p.issuer.as_deref().map(|i| format!(", issuer {i}")).unwrap_or_default();
        let _ = writeln!(out, "\nprovider {} ({}{issuer})", p.id, p.kind);
        let _ = writeln!(out, "  {:<22} {:<28} {:<34} RULE", "CLAIM", "WHAT HAPPENS", "RECEIVED BY (SCOPE)");
        for c in &p.claims {
            let what = match c.into {
                Some(into) => format!("{} -> {into}", c.action),
                None => c.action.to_string(),
            };
            let who: Vec<String> = c.received_by.iter().map(|r| format!("{} ({})", r.client, r.scope)).collect();
            let who = if who.is_empty() { "-".into() } else { who.join(", ") };
            let _ = writeln!(out, "  {:<22} {:<28} {:<34} {}", c.claim, what, who, c.rule);
        }
        let _ = writeln!(out, "  rules:");
        for r in &p.rules {
            let _ = writeln!(out, "    {} = {} : {}", r.key, r.value, r.effect);
        }
        let _ = writeln!(out, "  upstream tokens: {}", p.upstream_tokens);
        if let Some(hosts) = &p.picture_hosts {
            let hosts = if hosts.is_empty() { "none: no picture from this provider".into() } else { hosts.join(", ") };
            let _ = writeln!(out, "  picture hosts: {hosts}");
        }
    }
    for c in &doc.clients {
        let _ = writeln!(out, "\nclient {} \"{}\" ({})", c.id, c.name, c.kind);
        let _ = writeln!(out, "  sub: {}", c.subject);
        if !c.fapi2.is_empty() {
            let _ = writeln!(out, "  FAPI 2.0 Security Profile (fapi2 = true), enforced:");
            for rule in &c.fapi2 {
                let _ = writeln!(out, "    - {rule}");
            }
        }
        for r in &c.receives {
            let optional = if r.optional { " (optional)" } else { "" };
            let _ = writeln!(
                out,
                "  receives {}{optional} with scope \"{}\"  [{}]",
                r.claim,
                r.scope.unwrap_or(""),
                r.rule
            );
        }
        for r in &c.never_receives {
            let _ = writeln!(out, "  never receives {}  [{}]", r.claim, r.rule);
        }
    }
    out
}
