//! The one layer every request to the main listener passes through, in
//! this order: the request span and the route histogram, the security
//! headers written on every answer, and the limits at the edge (`limits`).
//!
//! One hand-written middleware instead of three stacked ones (two
//! `from_fn` layers and `DefaultHeaders`): one boxed future per request
//! instead of three, headers built once at startup, and the route pattern
//! looked up from the matched resource after the handler instead of by
//! walking the route table again before it (docs/BENCHMARKS.md).

use crate::limits::EdgeLimits;
use crate::metrics::Metrics;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::web;
use futures_util::future::LocalBoxFuture;
use std::future::{ready, Ready};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// Headers every answer carries unless its handler wrote its own:
/// nothing claimgate says is for a shared cache unless the handler says so
/// (discovery, JWKS and pictures set their own `Cache-Control`).
fn security_headers(hsts: bool) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    if hsts {
        headers.push((header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000")));
    }
    headers
}

/// The route pattern, never the path or the query: they carry handles,
/// codes, state and whatever a client put there.
fn route_of(req: &actix_web::HttpRequest) -> String {
    req.match_pattern().unwrap_or_else(|| "unmatched".into())
}

/// The middleware's factory: `App::wrap(Edge::new(..))`.
pub struct Edge {
    headers: Rc<[(HeaderName, HeaderValue)]>,
    limits: web::Data<EdgeLimits>,
    metrics: Arc<Metrics>,
}

impl Edge {
    /// `hsts`: the listener speaks TLS, so browsers are told to keep to it.
    pub fn new(hsts: bool, limits: web::Data<EdgeLimits>, metrics: Arc<Metrics>) -> Self {
        Self { headers: security_headers(hsts).into(), limits, metrics }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Edge
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = EdgeService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(EdgeService {
            service: Rc::new(service),
            headers: self.headers.clone(),
            limits: self.limits.clone(),
            metrics: self.metrics.clone(),
        }))
    }
}

pub struct EdgeService<S> {
    service: Rc<S>,
    headers: Rc<[(HeaderName, HeaderValue)]>,
    limits: web::Data<EdgeLimits>,
    metrics: Arc<Metrics>,
}

impl<S, B> Service<ServiceRequest> for EdgeService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let headers = self.headers.clone();
        let limits = self.limits.clone();
        let metrics = self.metrics.clone();
        // Events in the request carry the route when the span is recorded;
        // otherwise it is only needed for the histogram, after the handler,
        // where the matched resource names it without a walk of the routes.
        let span = tracing::info_span!("request", method = %req.method(), route = tracing::field::Empty);
        if !span.is_disabled() {
            span.record("route", route_of(req.request()).as_str());
        }
        Box::pin(
            async move {
                let started = Instant::now();
                let mut res = match crate::limits::refusal(&limits, &req).await {
                    Some(refused) => req.into_response(refused).map_into_right_body(),
                    None => service.call(req).await?.map_into_left_body(),
                };
                for (name, value) in headers.iter() {
                    if !res.headers().contains_key(name) {
                        res.headers_mut().insert(name.clone(), value.clone());
                    }
                }
                let elapsed = started.elapsed();
                tracing::debug!(status = res.status().as_u16(), micros = elapsed.as_micros() as u64, "response");
                let route = route_of(res.request());
                let class = match res.status().as_u16() {
                    200..=299 => "2xx",
                    300..=399 => "3xx",
                    400..=499 => "4xx",
                    _ => "5xx",
                };
                metrics.http_seconds.with_label_values(&[&route, class]).observe(elapsed.as_secs_f64());
                Ok(res)
            }
            .instrument(span),
        )
    }
}
