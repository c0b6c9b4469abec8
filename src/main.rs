//! The `pgkeep` binary: parse arguments, set up logging, run, and turn
//! errors into a message and an exit code. Everything else is in the library.

use clap::Parser;

fn main() {
    let cli = pgkeep::cli::Cli::parse();
    let serving = matches!(cli.command, pgkeep::cli::Command::Serve { .. });
    let default = match (cli.verbose, serving) {
        (0, false) => "warn",
        (0, true) | (1, _) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PGKEEP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // The service logs for a log collector (JSON) unless a person watches
    // it on a terminal; commands always log for people.
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if !serving || std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        builder.init();
    } else {
        builder.json().init();
    }
    let code = match pgkeep::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}
