//! `roster-bench-server`: the `roster` binary, built with the benchmark-only endpoints.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = roster_server::settings::Cli::parse();
    roster_server::telemetry::init(&cli.settings);
    match actix_web::rt::System::new().block_on(roster_server::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
