//! The `pincer` binary. Parses the command line, then hands over to the wiring in the library.

use std::process::ExitCode;

use clap::Parser;
use pincer_server::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => match pincer_server::serve(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("pincer: {message}");
                ExitCode::FAILURE
            }
        },
    }
}
