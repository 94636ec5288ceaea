//! The test's browser: follows redirects, presses the notice's button,
//! posts forms, keeps cookies (one jar per browser), and records every
//! response claimgate sent.

use super::{field_value, is_notice, Client, LoginEnd, Resp, TestApp};

impl TestApp {
    /// Records responses that claimgate sent (the browser also passes
    /// through the upstream, whose own responses are not claimgate's).
    pub(super) async fn record(&self, response: reqwest::Response) -> Resp {
        let url = response.url().as_str();
        let routed = self.route_to.lock().unwrap().clone();
        let from_claimgate = url.starts_with(&self.base)
            || url.starts_with(&self.public_url)
            || routed.is_some_and(|r| url.starts_with(&r));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        let mut text = format!("{status}\n");
        for (k, v) in &headers {
            text.push_str(&format!("{k}: {}\n", v.to_str().unwrap_or("<binary>")));
        }
        text.push_str(&body);
        if from_claimgate {
            self.seen.lock().unwrap().push(text);
        }
        Resp { status, headers, body }
    }

    /// Where a request to `url` goes: relative paths to this instance, the
    /// public URL to the instance `route_to` names.
    pub(super) fn target(&self, url: &str) -> String {
        let url = if url.starts_with('/') { format!("{}{url}", self.base) } else { url.to_owned() };
        match &*self.route_to.lock().unwrap() {
            Some(to) if url.starts_with(&self.public_url) => url.replacen(&self.public_url, to, 1),
            _ => url,
        }
    }

    /// The browser follows one URL (cookies kept).
    pub async fn browse(&self, url: &str) -> Resp {
        self.browse_in(&self.browser, url).await
    }

    /// Another browser, with a cookie jar of its own (a victim's, or an attacker's).
    pub fn other_browser(&self) -> reqwest::Client {
        (self.new_browser)()
    }

    /// `browser` follows one URL (cookies kept in its own jar).
    pub async fn browse_in(&self, browser: &reqwest::Client, url: &str) -> Resp {
        let url = self.target(url);
        self.record(browser.get(url).send().await.expect("request")).await
    }

    /// `browser` posts a form.
    pub async fn post_in(&self, browser: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> Resp {
        let url = self.target(path);
        self.record(browser.post(url).form(form).send().await.unwrap()).await
    }

    pub fn authorize_url(&self, client: &Client, scope: &str, extra: &[(&str, &str)]) -> String {
        let mut url = url::Url::parse(&format!("{}/authorize", self.base)).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", client.id)
            .append_pair("redirect_uri", client.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", scope)
            .append_pair("state", "app-state-123")
            .append_pair("nonce", "app-nonce-456");
        for (k, v) in extra {
            url.query_pairs_mut().append_pair(k, v);
        }
        url.to_string()
    }

    /// Walks redirects like a browser from `url` until the app's redirect
    /// URI is reached or a page is shown.
    pub async fn walk(&self, url: &str, redirect_uri: &str) -> LoginEnd {
        self.walk_in(&self.browser, url, redirect_uri).await
    }

    /// [`Self::walk`] in another browser.
    pub async fn walk_in(&self, browser: &reqwest::Client, url: &str, redirect_uri: &str) -> LoginEnd {
        let mut next = url.to_owned();
        for _ in 0..6 {
            if next.starts_with(redirect_uri) {
                let parsed = url::Url::parse(&next).unwrap();
                return LoginEnd::App(parsed.query_pairs().into_owned().collect());
            }
            let mut r = self.browse_in(browser, &next).await;
            if is_notice(&r) {
                r = self.press_continue_in(browser, &r.body).await;
            }
            match r.location() {
                Some(l) if (300..400).contains(&r.status) => next = l,
                _ => return LoginEnd::Page(r.status, r.body),
            }
        }
        panic!("too many redirects");
    }

    /// The user presses the notice page's (first) button, leaving its
    /// checkboxes as they are.
    pub async fn press_continue(&self, notice_body: &str) -> Resp {
        self.press_continue_in(&self.browser, notice_body).await
    }

    /// [`Self::press_continue`] in another browser.
    pub async fn press_continue_in(&self, browser: &reqwest::Client, notice_body: &str) -> Resp {
        let ticket = field_value(notice_body, "name=\"ticket\" value=\"").expect("a ticket");
        let mut form = vec![("ticket", ticket)];
        if let Some(provider) = field_value(notice_body, "name=\"provider\" value=\"") {
            form.push(("provider", provider));
        }
        // Ticked boxes go with the form, as a browser sends them.
        for claim in super::html::ticked_claims(notice_body) {
            form.push(("claim", claim));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post_in(browser, "/authorize/continue", &form).await
    }

    /// Authorizes and presses continue; returns where claimgate sends the browser.
    pub async fn authorize_to_upstream(&self, url: &str) -> String {
        let r = self.browse(url).await;
        assert!(is_notice(&r), "expected the notice page, got {}: {}", r.status, r.body);
        self.press_continue(&r.body).await.location().expect("a redirect upstream")
    }

    pub async fn login(&self, client: &Client, scope: &str, extra: &[(&str, &str)]) -> LoginEnd {
        self.walk(&self.authorize_url(client, scope, extra), client.redirect_uri).await
    }

    /// The browser follows one URL, sending one extra header.
    pub async fn browse_with_header(&self, url: &str, name: &str, value: &str) -> Resp {
        let url = self.target(url);
        self.record(self.browser.get(url).header(name, value).send().await.expect("request")).await
    }

    /// The browser posts a form.
    pub async fn browse_post(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        self.post_in(&self.browser, path, form).await
    }
}
