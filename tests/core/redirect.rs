//! `health::redirect`: Go's `net/http` redirect policy, as a table.

use anycastd::health::redirect::{Decision, MAX_REQUESTS, RedirectError, Redirects, Request};

fn request(url: &str, method: &str, body: bool) -> Request {
    Request {
        url: url.to_string(),
        method: method.to_string(),
        body,
        host: None,
        sensitive_headers: true,
        referer: None,
    }
}

/// The request followed after `status` + `location` answers `first`, or the decision.
fn decide(first: &Request, status: u16, location: Option<&str>) -> Decision {
    Redirects::new(first.clone()).on_response(first, status, location, false)
}

fn follow(decision: Decision) -> Request {
    match decision {
        Decision::Follow(next) => next,
        other => panic!("expected a redirect to follow, got {other:?}"),
    }
}

#[test]
fn which_statuses_redirect_and_with_which_method_and_body() {
    // (status, method, payload) -> (method, payload) followed; None: the response is final.
    type Row = (u16, &'static str, bool, Option<(&'static str, bool)>);
    let table: &[Row] = &[
        (301, "GET", false, Some(("GET", false))),
        (302, "GET", false, Some(("GET", false))),
        (303, "GET", false, Some(("GET", false))),
        (302, "HEAD", false, Some(("HEAD", false))),
        (301, "POST", true, Some(("GET", false))),
        (302, "POST", true, Some(("GET", false))),
        (303, "PUT", true, Some(("GET", false))),
        (307, "POST", true, Some(("POST", true))),
        (308, "PUT", true, Some(("PUT", true))),
        (307, "GET", false, Some(("GET", false))),
        (300, "GET", false, None),
        (304, "GET", false, None),
        (305, "GET", false, None),
        (306, "GET", false, None),
        (200, "GET", false, None),
        (404, "GET", false, None),
    ];
    for &(status, method, body, want) in table {
        let first = request("http://a.example/x", method, body);
        let got = decide(&first, status, Some("/y"));
        match want {
            None => assert_eq!(got, Decision::Final, "{status} {method}"),
            Some((m, b)) => {
                let next = follow(got);
                assert_eq!(
                    (next.method.as_str(), next.body),
                    (m, b),
                    "{status} {method}"
                );
                assert_eq!(next.url, "http://a.example/y");
            }
        }
    }
}

#[test]
fn a_redirect_without_location_or_with_an_expected_status_is_final() {
    let first = request("http://a.example/", "GET", false);
    assert_eq!(decide(&first, 302, None), Decision::Final);
    assert_eq!(decide(&first, 302, Some("")), Decision::Final);
    let mut chain = Redirects::new(first.clone());
    assert_eq!(
        chain.on_response(&first, 301, Some("/b"), true),
        Decision::Final
    );
}

#[test]
fn locations_resolve_against_the_url_that_answered() {
    let first = request("http://a.example:8080/dir/page?q=1", "GET", false);
    let table = [
        ("/abs", "http://a.example:8080/abs"),
        ("rel", "http://a.example:8080/dir/rel"),
        ("../up", "http://a.example:8080/up"),
        ("?other=2", "http://a.example:8080/dir/page?other=2"),
        ("//b.example/p", "http://b.example/p"),
        ("https://c.example/s", "https://c.example/s"),
        ("http://[::1]:9000/v6", "http://[::1]:9000/v6"),
    ];
    for (location, want) in table {
        assert_eq!(
            follow(decide(&first, 302, Some(location))).url,
            want,
            "{location}"
        );
    }
}

#[test]
fn bad_locations_and_schemes_fail_with_their_reason() {
    let first = request("http://a.example/", "GET", false);
    let Decision::Fail(RedirectError::BadLocation { location, .. }) =
        decide(&first, 302, Some("http://[::1"))
    else {
        panic!("a bad Location fails");
    };
    assert_eq!(location, "http://[::1");
    let got = decide(&first, 302, Some("ftp://a.example/file"));
    let Decision::Fail(error) = got else {
        panic!("ftp fails: {got:?}");
    };
    assert_eq!(
        error.to_string(),
        "redirect to ftp://a.example/file: unsupported protocol scheme \"ftp\""
    );
}

/// Follows `hops` redirects produced by `next_location(i)`; returns the decision on the last.
fn chain(hops: usize, next_location: impl Fn(usize) -> String) -> (Decision, usize) {
    let first = request("http://a.example/0", "GET", false);
    let mut redirects = Redirects::new(first.clone());
    let mut current = first;
    for i in 1..=hops {
        match redirects.on_response(&current, 302, Some(&next_location(i)), false) {
            Decision::Follow(next) => current = next,
            other => return (other, i),
        }
    }
    (Decision::Final, hops)
}

#[test]
fn at_most_ten_requests_as_go() {
    // Nine redirects are followed (ten requests); the tenth redirect stops the chain.
    let (decision, at) = chain(20, |i| format!("/{i}"));
    assert_eq!(at, MAX_REQUESTS);
    assert_eq!(
        decision,
        Decision::Fail(RedirectError::TooMany {
            location: "http://a.example/10".to_string(),
            looped: false
        })
    );
    assert_eq!(
        decision_text(decision),
        "stopped after 10 redirects (the last to http://a.example/10)"
    );
    let (decision, at) = chain(MAX_REQUESTS - 1, |i| format!("/{i}"));
    assert_eq!((decision, at), (Decision::Final, MAX_REQUESTS - 1));
}

fn decision_text(decision: Decision) -> String {
    match decision {
        Decision::Fail(error) => error.to_string(),
        other => format!("{other:?}"),
    }
}

#[test]
fn a_loop_fails_and_says_so() {
    let (decision, _) = chain(20, |i| if i % 2 == 1 { "/b".into() } else { "/0".into() });
    assert_eq!(
        decision_text(decision),
        "stopped after 10 redirects: a redirect loop (http://a.example/0 was already requested)"
    );
}

#[test]
fn host_header_is_kept_for_relative_locations_only() {
    let mut first = request("http://192.0.2.1/", "GET", false);
    first.host = Some("www.example.org".into());
    assert_eq!(
        follow(decide(&first, 302, Some("/login"))).host.as_deref(),
        Some("www.example.org")
    );
    assert_eq!(
        follow(decide(&first, 302, Some("http://192.0.2.2/"))).host,
        None
    );
}

#[test]
fn credentials_follow_only_to_the_same_domain_or_a_subdomain() {
    let first = request("http://example.org/", "GET", false);
    let table = [
        ("http://example.org/x", true),
        ("https://www.example.org/x", true),
        ("http://EXAMPLE.org/x", true),
        ("http://notexample.org/x", false),
        ("http://example.org.evil/x", false),
        ("http://192.0.2.1/x", false),
        ("/relative", true),
    ];
    for (location, keep) in table {
        let next = follow(decide(&first, 302, Some(location)));
        assert_eq!(next.sensitive_headers, keep, "{location}");
    }
}

#[test]
fn referer_names_the_previous_url_but_never_https_to_http() {
    let first = request("http://user:pw@a.example/one", "GET", false);
    let next = follow(decide(&first, 302, Some("/two")));
    assert_eq!(next.referer.as_deref(), Some("http://a.example/one"));
    let secure = request("https://a.example/one", "GET", false);
    assert_eq!(
        follow(decide(&secure, 302, Some("http://a.example/"))).referer,
        None
    );
    assert_eq!(
        follow(decide(&secure, 302, Some("/two")))
            .referer
            .as_deref(),
        Some("https://a.example/one")
    );
}
