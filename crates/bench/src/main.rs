//! `palaver-bench`: drives a Palaver server over its real protocols (HTTP, the TapTalk
//! WebSocket and Qiscus MQTT) and reports throughput, latency and memory, with the load shape next to each
//! number, as a table and as JSON.

mod api;
mod load;
mod mqtt;
mod reference;
mod report;
mod scenarios;
mod server;
mod traffic;
mod ws;

use clap::Parser;
use report::Outcome;
use server::{Server, Setup};
use std::process::ExitCode;

/// Palaver's load generator.
#[derive(Parser, Debug)]
#[command(name = "palaver-bench")]
struct Args {
    /// Scenarios to run: idle, direct, fanout, server-api, durable, webhooks, mqtt-idle,
    /// mqtt-fanout, history, reference, all.
    #[arg(required = true)]
    scenarios: Vec<String>,
    /// The palaver binary to start for each scenario (a release build for real numbers).
    #[arg(long, default_value = "target/release/palaver")]
    palaver: String,
    /// Small, short loads that only prove the harness and check correctness.
    #[arg(long)]
    smoke: bool,
    /// Write the JSON report here.
    #[arg(long)]
    json: Option<String>,
    /// Loopback source addresses to open connections from.
    #[arg(long, default_value_t = 8)]
    sources: usize,
    /// idle: connections to hold.
    #[arg(long, default_value_t = 100_000)]
    connections: usize,
    /// direct: chatting pairs.
    #[arg(long, default_value_t = 500)]
    pairs: usize,
    /// direct: total messages per second (0: measure the maximum, then run at half of it).
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// fanout: rooms.
    #[arg(long, default_value_t = 20)]
    rooms: usize,
    /// fanout: members per room (all connected).
    #[arg(long, default_value_t = 100)]
    members: usize,
    /// durable, webhooks: connections, each with one unacknowledged message at a time.
    #[arg(long, default_value_t = 140)]
    senders: usize,
    /// Seconds each measured phase runs.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Run every server on PostgreSQL: a URL of a server where databases may be created (e.g.
    /// postgres://postgres@127.0.0.1:5432/postgres); each scenario gets a new database, dropped
    /// after it. Default: a fresh SQLite data directory per scenario.
    #[arg(long)]
    database_url: Option<String>,
    /// fanout, direct: `palaver serve` nodes sharing the database, joined by NATS (needs
    /// --database-url and --nats-url); the load's connections are spread over them.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// NATS URL joining the nodes (e.g. nats://127.0.0.1:4222).
    #[arg(long)]
    nats_url: Option<String>,
    /// history: messages per room at which to measure (default 0,1000,100000; smoke 0,100,1000).
    #[arg(long, value_delimiter = ',')]
    levels: Vec<u64>,
    /// server-api, history: concurrent requests (default 64; smoke 8).
    #[arg(long)]
    concurrency: Option<usize>,
}

fn raise_fd_limit() {
    // Both ends of 100,000 connections need file descriptors; children inherit the limit.
    let want = 1_048_576;
    if rlimit::setrlimit(rlimit::Resource::NOFILE, want, want).is_err() {
        let _ = rlimit::increase_nofile_limit(want);
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    raise_fd_limit();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn wanted(args: &Args) -> Vec<String> {
    let all = [
        "idle",
        "direct",
        "fanout",
        "server-api",
        "durable",
        "webhooks",
        "mqtt-idle",
        "mqtt-fanout",
        "history",
        "reference",
    ];
    if args.scenarios.iter().any(|s| s == "all") {
        all.iter().map(|s| s.to_string()).collect()
    } else {
        args.scenarios.clone()
    }
}

/// Runs the scenarios; false if a smoke run found a correctness problem.
async fn run(args: Args) -> Result<bool, String> {
    let mut outcomes: Vec<Outcome> = Vec::new();
    let smoke = args.smoke;
    let secs = if smoke { 2 } else { args.duration };
    let setup = Setup { database_url: args.database_url.clone(), nats_url: args.nats_url.clone(), nodes: 1 };
    setup.with_nodes(args.nodes).check()?;
    for name in wanted(&args) {
        eprintln!("== {name}");
        let fresh = || Server::spawn(&args.palaver, "", &setup);
        // The scenarios that spread their connections over several nodes.
        let nodes = || Server::spawn(&args.palaver, "", &setup.with_nodes(args.nodes));
        let outcome = match name.as_str() {
            "idle" => {
                let server = fresh()?;
                let api = api::Api::new(server.addr, server.creds.clone());
                let connections = if smoke { 200 } else { args.connections };
                let shape = scenarios::idle::Idle {
                    connections,
                    users: (connections / 10).max(1),
                    sources: args.sources,
                    concurrency: 512,
                };
                scenarios::idle::run(&server, &api, shape, !smoke).await?
            }
            "direct" => {
                let server = nodes()?;
                let pairs = if smoke { 10 } else { args.pairs };
                let rate = if smoke { 200 } else { args.rate };
                scenarios::direct::run(&server, pairs, rate, secs, args.sources, !smoke).await?
            }
            "fanout" => {
                let server = nodes()?;
                let (rooms, members) = if smoke { (2, 10) } else { (args.rooms, args.members) };
                scenarios::fanout::run(&server, rooms, members, secs, args.sources, !smoke).await?
            }
            "server-api" => {
                let server = fresh()?;
                let concurrency = args.concurrency.unwrap_or(if smoke { 8 } else { 64 });
                scenarios::server_api::run(&server, secs, smoke, concurrency, !smoke).await?
            }
            "durable" => {
                let server = fresh()?;
                scenarios::durable::run(&server, if smoke { 20 } else { args.senders }, secs, args.sources, !smoke)
                    .await?
            }
            "webhooks" => {
                let senders = if smoke { 20 } else { args.senders };
                scenarios::webhooks::run(&args.palaver, &setup, senders, secs, args.sources, !smoke).await?
            }
            "mqtt-idle" => {
                let server = fresh()?;
                scenarios::mqtt::idle(&server, if smoke { 200 } else { args.connections }, args.sources, !smoke).await?
            }
            "mqtt-fanout" => {
                let server = fresh()?;
                let (rooms, members) = if smoke { (2, 10) } else { (args.rooms, args.members) };
                scenarios::mqtt::fanout(&server, rooms, members, secs, args.sources, !smoke).await?
            }
            "history" => {
                let server = fresh()?;
                let levels = match (&args.levels[..], smoke) {
                    ([], true) => vec![0, 100, 1_000],
                    ([], false) => vec![0, 1_000, 100_000],
                    (l, _) => l.to_vec(),
                };
                let concurrency = args.concurrency.unwrap_or(if smoke { 8 } else { 64 });
                let shape = scenarios::history::Shape { levels, concurrency, secs };
                scenarios::history::run(&server, shape, !smoke).await?
            }
            "reference" => {
                let mut r = reference::run(secs, smoke, args.members).await?;
                outcomes.append(&mut r);
                continue;
            }
            other => return Err(format!("unknown scenario {other:?}")),
        };
        eprintln!("{}", serde_json::to_string_pretty(&outcome.metrics).unwrap_or_default());
        if let Some(cpu) = &outcome.cpu {
            eprintln!("server CPU: {}", serde_json::to_string(cpu).unwrap_or_default());
        }
        outcomes.push(outcome);
    }
    reference::add_ratios(&mut outcomes);
    report::print_table(&outcomes);
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&outcomes).map_err(|e| e.to_string())?;
        std::fs::write(path, json).map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    Ok(outcomes.iter().all(|o| o.exactly_once != Some(false)))
}
