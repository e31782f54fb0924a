//! `palaver config example|check`: the complete commented configuration, and a check of a
//! file (with the environment and `--set` flags) before a server is started with it.

use clap::Subcommand;
use palaver_server::config::{ServeArgs, Settings, read_file};
use palaver_server::layers::EXAMPLE;

/// The `config` subcommands.
// Parsed once per process: the size of the `Check` variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print a complete configuration file: every setting with its default and what it does.
    Example,
    /// Check the settings `palaver serve` would run with (the `--config` file, `PALAVER_*`
    /// variables, `--set` flags): exits non-zero naming the first bad one.
    Check {
        /// Print the merged settings as JSON (the secret key masked).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        serve: ServeArgs,
    },
}

/// Runs a `config` subcommand.
pub fn run(command: ConfigCommand) -> Result<(), String> {
    match command {
        ConfigCommand::Example => {
            print!("{EXAMPLE}");
            Ok(())
        }
        ConfigCommand::Check { json, serve } => {
            let settings = Settings::resolve(&serve)?;
            if json {
                let mut merged = serde_json::to_value(read_file(serve.db.config.as_deref(), &serve.db.set)?)
                    .map_err(|e| e.to_string())?;
                if let Some(key) = merged.get_mut("secret_key").filter(|k| !k.is_null()) {
                    *key = "(set)".into();
                }
                println!("{merged}");
            } else {
                println!(
                    "The settings are valid: listening on {}, data in {}.",
                    settings.listen,
                    settings.data_dir.display()
                );
            }
            Ok(())
        }
    }
}
