//! Following HTTP redirects as the Go daemon did: its `http_2xx` check used Go's `net/http` client,
//! whose default policy this reproduces, so a health URL that answers with a redirect keeps working
//! after a migration.
//!
//! Go's rules (`net/http/client.go`, `redirectBehavior`, `defaultCheckRedirect`,
//! `shouldCopyHeaderOnRedirect`):
//! - 301, 302 and 303 are followed with the same method if it is GET or HEAD, else with GET, and
//!   without the body; 307 and 308 keep the method and the body. Other statuses are final, and so
//!   is a redirect without a `Location`.
//! - `Location` is resolved against the URL that answered. At most 10 requests are sent: the
//!   redirect answering the 10th fails with `stopped after 10 redirects`.
//! - A `Host` header set by the check is kept only for a relative `Location`; `Authorization`,
//!   `Www-Authenticate`, `Cookie` and `Cookie2` only while the new host is the first one or a
//!   subdomain of it. `Referer` names the previous URL, unless that would leak an https URL to http.
//!
//! One addition: a status the check lists in `expected_status` is final, so a check can still
//! expect a redirect itself.

use url::Url;

/// Requests sent at most for one attempt, the first one included (Go's default policy).
pub const MAX_REQUESTS: usize = 10;

/// One request of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Absolute URL.
    pub url: String,
    /// HTTP method.
    pub method: String,
    /// Whether the check's payload is sent.
    pub body: bool,
    /// The `Host` header to send, if the check's own applies to this request.
    pub host: Option<String>,
    /// Whether `Authorization`, `Www-Authenticate`, `Cookie` and `Cookie2` are sent.
    pub sensitive_headers: bool,
    /// The `Referer` header, on a redirect.
    pub referer: Option<String>,
}

/// What to do with a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Judge this response: it is not a redirect to follow.
    Final,
    /// Send this request next.
    Follow(Request),
    /// Stop: the attempt fails with this reason.
    Fail(RedirectError),
}

/// Why a chain of redirects failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    /// The 10th request answered with a redirect too.
    #[error("stopped after {MAX_REQUESTS} redirects{}", if *.looped { format!(": a redirect loop ({location} was already requested)") } else { format!(" (the last to {location})") })]
    TooMany {
        /// Where the last redirect pointed.
        location: String,
        /// Whether that URL had been requested before in this chain.
        looped: bool,
    },
    /// `Location` is no URL.
    #[error("failed to parse Location header {location:?}: {reason}")]
    BadLocation {
        /// The header's value.
        location: String,
        /// Why it does not parse.
        reason: String,
    },
    /// `Location` is not http or https.
    #[error("redirect to {location}: unsupported protocol scheme {scheme:?}")]
    Scheme {
        /// The resolved URL.
        location: String,
        /// Its scheme.
        scheme: String,
    },
}

/// The redirects of one attempt: starts from the check's first request, decides on each response.
#[derive(Debug, Clone)]
pub struct Redirects {
    first: Request,
    sent: Vec<String>,
}

impl Redirects {
    /// A chain starting with `first` (which is being sent).
    pub fn new(first: Request) -> Redirects {
        Redirects {
            sent: vec![first.url.clone()],
            first,
        }
    }

    /// Redirects followed so far.
    pub fn followed(&self) -> usize {
        self.sent.len().saturating_sub(1)
    }

    /// Decides on the response to `current` (the last request sent): `status`, its `Location`
    /// header, and whether the check lists `status` in `expected_status`.
    pub fn on_response(
        &mut self,
        current: &Request,
        status: u16,
        location: Option<&str>,
        expected: bool,
    ) -> Decision {
        let (method, body) = match status {
            301..=303 => {
                let keep = matches!(current.method.as_str(), "GET" | "HEAD");
                let method = if keep { current.method.as_str() } else { "GET" };
                (method.to_string(), false)
            }
            307 | 308 => (current.method.clone(), current.body),
            _ => return Decision::Final,
        };
        let Some(location) = location.filter(|l| !l.is_empty()) else {
            return Decision::Final;
        };
        if expected {
            return Decision::Final;
        }
        let next = match Url::parse(&current.url).and_then(|base| base.join(location)) {
            Ok(url) => url,
            Err(e) => {
                return Decision::Fail(RedirectError::BadLocation {
                    location: location.to_string(),
                    reason: e.to_string(),
                });
            }
        };
        let text = next.to_string();
        if self.sent.len() >= MAX_REQUESTS {
            let looped = self.sent.contains(&text);
            return Decision::Fail(RedirectError::TooMany {
                location: text,
                looped,
            });
        }
        if !matches!(next.scheme(), "http" | "https") {
            return Decision::Fail(RedirectError::Scheme {
                scheme: next.scheme().to_string(),
                location: text,
            });
        }
        let relative = Url::parse(location).is_err();
        let first_host = Url::parse(&self.first.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        let sensitive_headers = match (first_host, next.host_str()) {
            (Some(first), Some(host)) => is_domain_or_subdomain(&host.to_ascii_lowercase(), &first),
            _ => false,
        };
        let from_https = current
            .url
            .get(..6)
            .is_some_and(|s| s.eq_ignore_ascii_case("https:"));
        let referer =
            (!from_https || next.scheme() == "https").then(|| strip_credentials(&current.url));
        let request = Request {
            url: text.clone(),
            method,
            body,
            host: self.first.host.clone().filter(|_| relative),
            sensitive_headers,
            referer,
        };
        self.sent.push(text);
        Decision::Follow(request)
    }
}

/// Go's `isDomainOrSubdomain`: `sub` is `parent` or ends with `.parent`.
fn is_domain_or_subdomain(sub: &str, parent: &str) -> bool {
    if sub == parent {
        return true;
    }
    // An IPv6 literal is never a subdomain of anything.
    if sub.contains(':') {
        return false;
    }
    sub.strip_suffix(parent)
        .is_some_and(|head| head.ends_with('.'))
}

/// A URL without user and password, as Go's `Referer` carries it.
fn strip_credentials(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => url.to_string(),
    }
}
