//! A redirect that answers a POST is 303 See Other: the browser follows it
//! with a GET and never re-sends the form, with whatever it carried, to
//! the next site (RFC 9110 §15.4.4; RFC 9700 §4.12 rules out 307; FAPI 2.0
//! Security Profile §5.3.2.2). Redirects answering a GET stay 302.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

pub fn after_post(mut response: HttpResponse) -> HttpResponse {
    if response.status() == StatusCode::FOUND {
        *response.status_mut() = StatusCode::SEE_OTHER;
    }
    response
}
