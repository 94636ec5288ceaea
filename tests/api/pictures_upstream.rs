//! The test provider's picture host: `/pictures/{name}` on the test
//! identity provider answers what a test sets, and records who asked.

use crate::idp::IdpState;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

/// One answer of the picture host.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub location: Option<String>,
    pub delay: Option<Duration>,
    /// A validator (answered 304 to a request that names it) and a
    /// `Cache-Control: max-age`, as real picture hosts send them.
    pub etag: Option<&'static str>,
    pub max_age: Option<u64>,
}

impl Answer {
    pub fn ok(content_type: &'static str, body: Vec<u8>) -> Self {
        Answer { status: 200, content_type, body, location: None, delay: None, etag: None, max_age: None }
    }

    pub fn redirect(to: &str) -> Self {
        let location = Some(to.to_owned());
        Answer {
            status: 302,
            content_type: "text/plain",
            body: Vec::new(),
            location,
            delay: None,
            etag: None,
            max_age: None,
        }
    }
}

/// `jane.png`: the default picture, with the provider's marker in a text
/// chunk (as a camera's or editor's metadata would be).
pub fn defaults(marker: &str) -> HashMap<String, Answer> {
    HashMap::from([("jane.png".to_owned(), Answer::ok("image/png", png_with_text(48, 32, marker)))])
}

/// An RGB PNG of `width`×`height` carrying `text` in a `tEXt` chunk.
pub fn png_with_text(width: u32, height: u32, text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.add_text_chunk("Comment".into(), format!("taken at 51.5N 0.12W by {text}")).unwrap();
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..width * height).flat_map(|i| [(i % 251) as u8, 90, 160]).collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

/// A JPEG of `width`×`height` (GitHub's avatars are JPEG).
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 200]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Jpeg).unwrap();
    out
}

/// A decompression bomb: a PNG of a few KiB declaring `side`×`side`
/// pixels (256 MB as RGBA for 8000), written row by row.
pub fn bomb(side: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().unwrap();
        let mut stream = writer.stream_writer().unwrap();
        let row = vec![0u8; (side as usize).div_ceil(8)];
        for _ in 0..side {
            stream.write_all(&row).unwrap();
        }
        stream.finish().unwrap();
        writer.finish().unwrap();
    }
    out
}

pub async fn serve(req: HttpRequest, s: web::Data<IdpState>, name: web::Path<String>) -> HttpResponse {
    let headers =
        req.headers().iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())).collect();
    s.picture_requests.lock().unwrap().push((name.to_string(), headers));
    let answer = s.pictures.lock().unwrap().get(name.as_str()).cloned();
    let Some(a) = answer else { return HttpResponse::NotFound().finish() };
    if let Some(d) = a.delay {
        tokio::time::sleep(d).await;
    }
    if let Some(etag) = a.etag {
        if req.headers().get("if-none-match").is_some_and(|v| v.as_bytes() == etag.as_bytes()) {
            return HttpResponse::NotModified().insert_header(("etag", etag)).finish();
        }
    }
    let mut response = HttpResponse::build(actix_web::http::StatusCode::from_u16(a.status).unwrap());
    response.content_type(a.content_type);
    if let Some(etag) = a.etag {
        response.insert_header(("etag", etag));
    }
    if let Some(age) = a.max_age {
        response.insert_header(("cache-control", format!("public, max-age={age}")));
    }
    if let Some(l) = &a.location {
        response.insert_header(("location", l.as_str()));
    }
    response.body(a.body)
}

impl crate::idp::TestIdp {
    /// From now on, `/pictures/{name}` answers `answer`.
    pub fn set_picture(&self, name: &str, answer: Answer) {
        self.state.pictures.lock().unwrap().insert(name.to_owned(), answer);
    }

    /// The headers of every picture request so far, by picture name.
    pub fn picture_requests(&self) -> Vec<(String, HashMap<String, String>)> {
        self.state.picture_requests.lock().unwrap().clone()
    }
}
