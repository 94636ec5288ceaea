//! The `claimgate` binary: wires telemetry, configuration and the application.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)]

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

fn parse_alg(name: &str) -> Result<SigningAlg, String> {
    SigningAlg::parse(name).ok_or_else(|| format!("\"{name}\" is not one of RS256, ES256, EdDSA"))
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check { config } => match Config::load(&config) {
            Ok(cfg) => {
                print!("{}", explain::text(&explain::document(&cfg, None)));
                for warning in cfg.warnings() {
                    eprintln!("claimgate: warning: {warning}");
                }
                println!("\nconfig OK");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("claimgate: invalid config: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Policy { command: PolicyCommand::Explain { config, client, format } } => {
            let cfg = match Config::load(&config) {
                Ok(cfg) => cfg,
                Err(e) => {
                    eprintln!("claimgate: invalid config: {e}");
                    return ExitCode::FAILURE;
                }
            };
            if let Some(id) = client.as_deref().filter(|id| !cfg.clients.contains_key(*id)) {
                eprintln!("claimgate: --client: no client \"{id}\" in the config");
                return ExitCode::FAILURE;
            }
            let doc = explain::document(&cfg, client.as_deref());
            match format {
                Format::Text => print!("{}", explain::text(&doc)),
                Format::Json => match serde_json::to_string_pretty(&doc) {
                    Ok(json) => println!("{json}"),
                    Err(e) => {
                        eprintln!("claimgate: {e}");
                        return ExitCode::FAILURE;
                    }
                },
            }
            ExitCode::SUCCESS
        }
        Command::Keys { command: KeysCommand::Generate { algs, only } } => {
            let what = match only {
                None => Generate::Section,
                Some(Part::SigningKey) => Generate::SigningKey,
                Some(Part::PairwiseSecret) => Generate::PairwiseSecret,
                Some(Part::StorageKey) => Generate::StorageKey,
            };
            let today = chrono::Utc::now().format("%Y%m%d").to_string();
            match generate_text(what, &algs, &today) {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("claimgate: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Erase { config, email } => match erase(config, email) {
            Ok(report) => {
                println!("{report}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("claimgate: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Serve { config } => {
            let cfg = match Config::load(&config) {
                Ok(cfg) => cfg,
                Err(e) => {
                    eprintln!("claimgate: invalid config: {e}");
                    return ExitCode::FAILURE;
                }
            };
            claimgate::telemetry::init(cfg.server.log_format, &cfg.server.log_level);
            for warning in cfg.warnings() {
                tracing::warn!("{warning}");
            }
            match serve(cfg) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e}");
                    eprintln!("claimgate: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
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
    use claimgate::backchannel::{self, Notifier, Outcome};
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
    // The same keyed hash the login stores: the address itself is never a key.
    let email_key = keys.pseudonymizer.email_key(&email);
    let mut queued = Vec::new();
    for user in records.users_of_email(&email_key).await? {
        queued.extend(backchannel::user_erased(&notifier, &user).await?);
    }
    let erased = records.erase_email(&email_key).await?;
    let mut report = format!("erased {erased} user(s)");
    // Apps that received tokens are told now; what does not answer within a
    // few seconds stays queued, and the running instances retry it.
    for (client, outcome) in backchannel::attempt_now(&notifier, &queued, std::time::Duration::from_secs(5)).await {
        let what = match outcome {
            Outcome::Delivered => "told",
            _ => "not reachable yet; the running instances keep trying for an hour",
        };
        report.push_str(&format!("\napp {client}: {what}"));
    }
    Ok(report)
}
