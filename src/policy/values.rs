//! The value rules: what a kept profile value may look like. The filter
//! applies them to every upstream value; a value outside them never reaches
//! an app (docs/PRIVACY.md lists them, `policy explain` shows them).

use super::ProfileClaim;

/// `name`: characters, after control characters are removed.
pub const MAX_NAME_CHARS: usize = 256;
/// `email`: octets (RFC 5321 §4.5.3.1.3, a path of 256 less the brackets).
pub const MAX_EMAIL_OCTETS: usize = 254;
/// `email` local part: octets (RFC 5321 §4.5.3.1.1).
const MAX_LOCAL_OCTETS: usize = 64;
/// `picture`: characters.
pub const MAX_PICTURE_CHARS: usize = 2048;

/// Why a value was not kept. The code goes to the audit log and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRefusal {
    NameEmpty,
    NameTooLong,
    EmailTooLong,
    EmailMalformed,
    PictureTooLong,
    PictureMalformed,
    PictureNotHttps,
}

impl ValueRefusal {
    /// Every refusal, for the series that exist from the start.
    pub const ALL: [ValueRefusal; 7] = [
        ValueRefusal::NameEmpty,
        ValueRefusal::NameTooLong,
        ValueRefusal::EmailTooLong,
        ValueRefusal::EmailMalformed,
        ValueRefusal::PictureTooLong,
        ValueRefusal::PictureMalformed,
        ValueRefusal::PictureNotHttps,
    ];

    pub fn reason(self) -> &'static str {
        match self {
            ValueRefusal::NameEmpty => "name_empty",
            ValueRefusal::NameTooLong => "name_too_long",
            ValueRefusal::EmailTooLong => "email_too_long",
            ValueRefusal::EmailMalformed => "email_malformed",
            ValueRefusal::PictureTooLong => "picture_too_long",
            ValueRefusal::PictureMalformed => "picture_malformed",
            ValueRefusal::PictureNotHttps => "picture_not_https",
        }
    }

    pub fn claim(self) -> ProfileClaim {
        match self {
            ValueRefusal::NameEmpty | ValueRefusal::NameTooLong => ProfileClaim::Name,
            ValueRefusal::EmailTooLong | ValueRefusal::EmailMalformed => ProfileClaim::Email,
            ValueRefusal::PictureTooLong | ValueRefusal::PictureMalformed | ValueRefusal::PictureNotHttps => {
                ProfileClaim::Picture
            }
        }
    }
}

/// The rule for one field, in words (for `policy explain`).
pub fn rule(field: ProfileClaim) -> &'static str {
    match field {
        ProfileClaim::Name => "at most 256 characters, control characters removed; else dropped",
        ProfileClaim::Email => {
            "an addr-spec (RFC 5322 dot-atom local part, a domain of two or more labels) of at most 254 octets; else treated as absent"
        }
        ProfileClaim::Picture => {
            "an https URL without credentials, at most 2,048 characters (http only on a loopback host); else dropped"
        }
    }
}

/// A display name: control characters removed, trimmed, not empty, bounded.
pub fn name(raw: &str) -> Result<String, ValueRefusal> {
    let cleaned: String = raw.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        return Err(ValueRefusal::NameEmpty);
    }
    if cleaned.chars().count() > MAX_NAME_CHARS {
        return Err(ValueRefusal::NameTooLong);
    }
    Ok(cleaned.to_owned())
}

/// An email address: `local@domain` with a dot-atom local part (RFC 5322
/// §3.4.1; UTF-8 letters allowed as in RFC 6531) and a domain of two or
/// more labels of letters, digits and inner hyphens. Quoted local parts and
/// address literals are refused: no provider claimgate knows sends them.
pub fn email(raw: &str) -> Result<&str, ValueRefusal> {
    if raw.len() > MAX_EMAIL_OCTETS {
        return Err(ValueRefusal::EmailTooLong);
    }
    let (local, domain) = raw.rsplit_once('@').ok_or(ValueRefusal::EmailMalformed)?;
    let atext = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let local_ok = !local.is_empty()
        && local.len() <= MAX_LOCAL_OCTETS
        && local.split('.').all(|atom| !atom.is_empty() && atom.chars().all(atext));
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let labels: Vec<&str> = domain.split('.').collect();
    if local_ok && labels.len() >= 2 && labels.iter().all(|l| label_ok(l)) {
        Ok(raw)
    } else {
        Err(ValueRefusal::EmailMalformed)
    }
}

/// A picture URL: https (http only on a loopback host, for local testing),
/// no user name or password in it, bounded.
pub fn picture(raw: &str) -> Result<String, ValueRefusal> {
    if raw.chars().count() > MAX_PICTURE_CHARS {
        return Err(ValueRefusal::PictureTooLong);
    }
    let url = url::Url::parse(raw).map_err(|_| ValueRefusal::PictureMalformed)?;
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => crate::net::is_loopback(&url),
        _ => false,
    };
    if !scheme_ok {
        return Err(ValueRefusal::PictureNotHttps);
    }
    if !url.username().is_empty() || url.password().is_some() || url.host().is_none() {
        return Err(ValueRefusal::PictureMalformed);
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name("  Jane\u{0}\n Doe\u{7f} ").unwrap(), "Jane Doe");
        assert_eq!(name("\u{1b}[31m").unwrap(), "[31m", "the escape character goes, the text stays");
        assert_eq!(name(" \n\t"), Err(ValueRefusal::NameEmpty));
        assert_eq!(name(&"é".repeat(256)).unwrap().chars().count(), 256);
        assert_eq!(name(&"é".repeat(257)), Err(ValueRefusal::NameTooLong));
    }

    #[test]
    fn emails() {
        for ok in ["jane.doe@example.com", "j+tag@sub.example.co.uk", "o'brien@example.ie", "jörg@bücher.example"] {
            assert_eq!(email(ok), Ok(ok), "{ok}");
        }
        for bad in [
            "jane",
            "@example.com",
            "jane@",
            "jane@localhost",
            "jane..doe@example.com",
            ".jane@example.com",
            "jane doe@example.com",
            "jane@exa mple.com",
            "jane@-example.com",
            "jane@example..com",
            "\"jane\"@example.com",
            "jane@[192.0.2.1]",
            "jane@example.com\n",
            "a@b@example.com",
        ] {
            assert_eq!(email(bad), Err(ValueRefusal::EmailMalformed), "{bad:?}");
        }
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(186));
        assert_eq!(long.len(), 255);
        assert_eq!(email(&long), Err(ValueRefusal::EmailTooLong));
        assert_eq!(email(&format!("{}@example.com", "a".repeat(65))), Err(ValueRefusal::EmailMalformed));
    }

    #[test]
    fn pictures() {
        assert!(picture("https://lh3.googleusercontent.com/a/x=s96-c").is_ok());
        assert!(picture("http://127.0.0.1:8080/jane.svg").is_ok(), "loopback, for local testing");
        assert_eq!(picture("http://example.com/x.png"), Err(ValueRefusal::PictureNotHttps));
        assert_eq!(picture("javascript:alert(1)"), Err(ValueRefusal::PictureNotHttps));
        assert_eq!(picture("data:image/png;base64,AAAA"), Err(ValueRefusal::PictureNotHttps));
        assert_eq!(picture("https://user:pw@example.com/x.png"), Err(ValueRefusal::PictureMalformed));
        assert_eq!(picture("not a url"), Err(ValueRefusal::PictureMalformed));
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert_eq!(picture(&long), Err(ValueRefusal::PictureTooLong));
    }
}
