//! The `claimgate` binary: wires telemetry, configuration and the application.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::string_slice,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::too_many_lines
)]

use claimgate::config::Config;
use claimgate::explain;
use claimgate::keys::{generate_text, Generate};
use claimgate::signing::SigningAlg;
use claimgate::startup::Application;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "claimgate", version, about = "Minimal-disclosure social-login broker")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service.
    Serve {
        #[arg(long)]
        config: PathBuf,
    },
    /// Validate the config and print what each client receives.
    Check {
        #[arg(long)]
        config: PathBuf,
    },
    /// Explain the disclosure policy: what happens to every upstream claim.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Make keys, so that an operator never needs openssl.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Erase every session, code and token of the user(s) who signed in with
    /// this email address (shared stores only).
    Erase {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// For each provider and client: every claim, what happens to it, which
    /// config key decides it, and who receives it.
    Explain {
        #[arg(long)]
        config: PathBuf,
        /// Only this client.
        #[arg(long)]
        client: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print a `[keys]` section (signing keys, pairwise secret, storage key),
    /// or one part of it with --only.
    Generate {
        /// Signing algorithms besides RS256, which is always included
        /// (with --only signing-key: the key's algorithm).
        #[arg(long = "alg", value_parser = parse_alg)]
        algs: Vec<SigningAlg>,
        #[arg(long, value_enum)]
        only: Option<Part>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Part {
    SigningKey,
    PairwiseSecret,
    StorageKey,
}

/// `--alg` names no algorithm claimgate signs with.
#[derive(Debug, thiserror::Error)]
#[error("\"{0}\" is not one of RS256, PS256, ES256, EdDSA")]
struct UnknownAlg(String);

fn parse_alg(name: &str) -> Result<SigningAlg, UnknownAlg> {
    SigningAlg::parse(name).ok_or_else(|| UnknownAlg(name.to_owned()))
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Check { config } => check(&config),
        Command::Policy { command: PolicyCommand::Explain { config, client, format } } => {
            explain_policy(&config, client.as_deref(), format)
        }
        Command::Keys { command: KeysCommand::Generate { algs, only } } => keys_generate(&algs, only),
        Command::Erase { config, email } => erase(config, email).map(|report| println!("{report}")),
        Command::Serve { config } => load(&config).and_then(|cfg| {
            claimgate::telemetry::init(cfg.server.log_format, &cfg.server.log_level);
            for warning in cfg.warnings() {
                tracing::warn!("{warning}");
            }
            serve(cfg).inspect_err(|e| tracing::error!("{e}"))
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("claimgate: {e}");
            ExitCode::FAILURE
        }
    }
}

type Outcome = Result<(), Box<dyn std::error::Error>>;

/// The config, or why not (the error names the key).
fn load(path: &std::path::Path) -> Result<Config, Box<dyn std::error::Error>> {
    Config::load(path).map_err(|e| format!("invalid config: {e}").into())
}

fn check(config: &std::path::Path) -> Outcome {
    let cfg = load(config)?;
    print!("{}", explain::text(&explain::document(&cfg, None)));
    println!();
    for line in cfg.limits.explain() {
        println!("{line}");
    }
    let messages = &cfg.pages.messages;
    let languages: Vec<&str> = messages.tags().collect();
    println!("pages: {} (default {})", languages.join(", "), messages.tag(messages.default_language()));
    for warning in cfg.warnings() {
        eprintln!("claimgate: warning: {warning}");
    }
    println!("\nconfig OK");
    Ok(())
}

fn explain_policy(config: &std::path::Path, client: Option<&str>, format: Format) -> Outcome {
    let cfg = load(config)?;
    if let Some(id) = client.filter(|id| !cfg.clients.contains_key(*id)) {
        return Err(format!("--client: no client \"{id}\" in the config").into());
    }
    let doc = explain::document(&cfg, client);
    match format {
        Format::Text => print!("{}", explain::text(&doc)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&doc)?),
    }
    Ok(())
}

fn keys_generate(algs: &[SigningAlg], only: Option<Part>) -> Outcome {
    let what = match only {
        None => Generate::Section,
        Some(Part::SigningKey) => Generate::SigningKey,
        Some(Part::PairwiseSecret) => Generate::PairwiseSecret,
        Some(Part::StorageKey) => Generate::StorageKey,
    };
    let today = chrono::Utc::now().format("%Y%m%d").to_string();
    print!("{}", generate_text(what, algs, &today)?);
    Ok(())
}

#[actix_web::main]
async fn serve(cfg: Config) -> Result<(), Box<dyn std::error::Error>> {
    let public_url = cfg.server.issuer();
    let app = Application::build(cfg).await?;
    tracing::info!(port = app.port(), issuer = %public_url, "claimgate listening");
    app.run_until_stopped().await?;
    Ok(())
}

#[actix_web::main]
async fn erase(config: PathBuf, email: String) -> Result<String, Box<dyn std::error::Error>> {
    use claimgate::backchannel::Outcome;
    use claimgate::state::Notifier;
    let cfg = Config::load(&config)?;
    if !cfg.store.is_shared() {
        return Err("store.kind = \"memory\": the data lives inside the serving process; \
                    erase through the signed-in page /me, or restart the process (the memory store keeps nothing)"
            .into());
    }
    let keys = claimgate::keys::Keys::load(&cfg)?;
    let clock = claimgate::clock::SystemClock;
    let store = claimgate::startup::store_from_config(&cfg, std::sync::Arc::new(clock)).await?;
    let records = claimgate::store::records::Records::new(store, keys.sealer.clone(), cfg.lifetimes.session_absolute);
    let metrics = claimgate::metrics::Metrics::new()?;
    let issuer = cfg.server.issuer();
    let notifier =
        Notifier { config: &cfg, issuer: &issuer, keys: &keys, records: &records, metrics: &metrics, clock: &clock };
    let erased = claimgate::account::erasure::erase_email(
        &notifier,
        &email,
        claimgate::secevent::Initiator::Admin,
        std::time::Duration::from_secs(5),
    )
    .await?;
    let mut report = format!("erased {} user(s)", erased.users);
    // Apps that received tokens are told now; what does not answer within a
    // few seconds stays queued, and the running instances retry it.
    for (client, outcome) in erased.told {
        let what = match outcome {
            Outcome::Delivered => "told",
            _ => "not reachable yet; the running instances keep trying for an hour",
        };
        report.push_str(&format!("\napp {client}: {what}"));
    }
    Ok(report)
}
