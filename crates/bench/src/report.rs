//! Results: a latency summary from an HDR histogram, one outcome per scenario, a table for
//! people and a JSON report for tools.

use crate::server::{Server, clock_ticks};
use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Instant;

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct Latency {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

/// A histogram of microseconds, up to a minute.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

impl Latency {
    /// Summarises a histogram of microseconds.
    pub fn of(h: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.5)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

/// What one scenario measured.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// Scenario name.
    pub scenario: String,
    /// The load shape: everything needed to reproduce it.
    pub load: Value,
    /// Measured values.
    pub metrics: Value,
    /// The target, in words.
    pub target: String,
    /// Whether the target was met (None for smoke runs and reference ceilings).
    pub met: Option<bool>,
    /// Correctness: every message delivered exactly once (and, for request scenarios, every
    /// answer a success with what it should hold).
    pub exactly_once: Option<bool>,
    /// The server's CPU time over the measured phase.
    pub cpu: Option<Cpu>,
}

/// The server's CPU time (user + system of every node, from `/proc/<pid>/stat`) over a
/// measured phase, per delivered message and per durable send.
#[derive(Clone, Debug, Serialize)]
pub struct Cpu {
    /// CPU seconds used.
    pub cpu_s: f64,
    /// Wall-clock seconds of the phase.
    pub wall_s: f64,
    /// Cores busy on average (`cpu_s / wall_s`).
    pub cores: f64,
    /// Messages delivered to others (not the senders' own echoes) in the phase.
    pub delivered: u64,
    /// Durable sends (acknowledged after the commit) in the phase.
    pub sends: u64,
    /// CPU microseconds per delivered message.
    pub us_per_delivered: Option<f64>,
    /// CPU microseconds per durable send.
    pub us_per_send: Option<f64>,
    /// On PostgreSQL on this machine: CPU seconds of the database's backend processes serving
    /// the server (not in the figures above, which are the server's own).
    pub database_cpu_s: Option<f64>,
    /// The same per durable send.
    pub database_us_per_send: Option<f64>,
}

/// Reads the server's CPU time at the start of a phase.
pub struct CpuMeter {
    ticks: Option<u64>,
    database: Option<HashMap<u32, u64>>,
    at: Instant,
}

impl CpuMeter {
    /// Starts measuring `server`'s CPU time now.
    pub fn start(server: &Server) -> CpuMeter {
        CpuMeter { ticks: server.cpu_ticks(), database: server.database_ticks(), at: Instant::now() }
    }

    /// The CPU time used since the start, spread over `delivered` deliveries and `sends`
    /// durable sends; None where `/proc` cannot be read.
    pub fn stop(&self, server: &Server, delivered: u64, sends: u64) -> Option<Cpu> {
        let used = server.cpu_ticks()?.checked_sub(self.ticks?)?;
        let wall_s = self.at.elapsed().as_secs_f64();
        let hz = clock_ticks().max(1) as f64;
        let cpu_s = used as f64 / hz;
        // Backends that started during the phase count from zero.
        let database_cpu_s = self.database.as_ref().zip(server.database_ticks()).map(|(before, after)| {
            after.iter().map(|(pid, t)| t.saturating_sub(before.get(pid).copied().unwrap_or(0))).sum::<u64>() as f64
                / hz
        });
        let per_of = |s: f64, n: u64| (n > 0).then(|| (s * 1e6 / n as f64 * 10.0).round() / 10.0);
        let per = |n: u64| per_of(cpu_s, n);
        Some(Cpu {
            cpu_s: (cpu_s * 1000.0).round() / 1000.0,
            wall_s: (wall_s * 1000.0).round() / 1000.0,
            cores: (cpu_s / wall_s.max(1e-9) * 100.0).round() / 100.0,
            delivered,
            sends,
            us_per_delivered: per(delivered),
            us_per_send: per(sends),
            database_cpu_s: database_cpu_s.map(|s| (s * 1000.0).round() / 1000.0),
            database_us_per_send: database_cpu_s.and_then(|s| per_of(s, sends)),
        })
    }
}

/// Prints outcomes as a table.
pub fn print_table(outcomes: &[Outcome]) {
    println!("\n{:<14} {:<9} {:>13} {:>13} {:<62} target", "scenario", "met", "CPU µs/deliv", "CPU µs/send", "result");
    let us = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"));
    for o in outcomes {
        let met = match o.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        let mut result = o.metrics.to_string();
        if result.len() > 62 {
            result.truncate(59);
            result.push_str("...");
        }
        let (deliv, send) =
            (us(o.cpu.as_ref().and_then(|c| c.us_per_delivered)), us(o.cpu.as_ref().and_then(|c| c.us_per_send)));
        println!("{:<14} {:<9} {deliv:>13} {send:>13} {:<62} {}", o.scenario, met, result, o.target);
    }
}
