//! The baseline for bench/load.sh: an actix-web hello-world endpoint, built
//! with the same actix-web and the same worker defaults as claimgate.
//! Usage: hello [ADDR]   (default 127.0.0.1:18090)

use actix_web::{web, App, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18090".into());
    HttpServer::new(|| App::new().route("/", web::get().to(|| async { "Hello world!" }))).bind(addr)?.run().await
}
