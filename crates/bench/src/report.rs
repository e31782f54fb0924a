//! Results: a latency summary from an HDR histogram, one outcome per scenario, a table for
//! people and a JSON report for tools.

use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::Value;

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
    /// Correctness: every message delivered exactly once.
    pub exactly_once: Option<bool>,
}

/// Prints outcomes as a table.
pub fn print_table(outcomes: &[Outcome]) {
    println!("\n{:<14} {:<9} {:<62} target", "scenario", "met", "result");
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
        println!("{:<14} {:<9} {:<62} {}", o.scenario, met, result, o.target);
    }
}
