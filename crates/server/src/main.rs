//! The `pincer` binary. Parses the command line, then hands over to the wiring in the library.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use pincer_server::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => match pincer_server::serve(*args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("pincer: {message}");
                ExitCode::FAILURE
            }
        },
        Command::UnlockDomain(args) => match pincer_server::unlock_domain(args) {
            Ok(()) => {
                println!("pincer: the domain lock is cleared; running servers follow within seconds");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("pincer: {message}");
                ExitCode::FAILURE
            }
        },
        Command::Migrate(args) => match pincer_server::migrate(args) {
            Ok(done) => {
                println!("pincer: {done}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("pincer: {message}");
                ExitCode::FAILURE
            }
        },
        Command::Admin(pincer_server::cli::AdminCommand::ResetPassword(args)) => {
            report(pincer_server::reset_password(args).map(|line| vec![line]))
        }
        Command::Backup(args) => report(pincer_server::backup::backup(args)),
        Command::Restore(args) => report(pincer_server::backup::restore(args)),
        Command::Healthcheck(args) => {
            match pincer_server::healthcheck::probe_address(&args.bind).and_then(pincer_server::healthcheck::check) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("pincer: {message}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Openapi => {
            let mut out = std::io::stdout().lock();
            match out.write_all(pincer_http::openapi_json()).and_then(|()| out.write_all(b"\n")) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("pincer: cannot write the document: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Prints what a command did, line by line, or why it failed.
fn report(outcome: Result<Vec<String>, String>) -> ExitCode {
    match outcome {
        Ok(lines) => {
            for line in lines {
                println!("pincer: {line}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("pincer: {message}");
            ExitCode::FAILURE
        }
    }
}
