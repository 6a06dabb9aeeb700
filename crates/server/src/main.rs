//! The `pincer` binary. Parses the command line, then hands over to the wiring in the library.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use pincer_server::cli::{Cli, Command, ConfigCommand};
use pincer_server::config_check;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let configured = match pincer_server::config_file::apply(Cli::command(), &args) {
        Ok(configured) => configured,
        Err(message) => {
            eprintln!("pincer: {message}");
            return ExitCode::from(2);
        }
    };
    let matches = configured.command.get_matches_from(args);
    if let Err(message) = pincer_server::secrets::refuse_flags(&matches) {
        eprintln!("pincer: {message}");
        return ExitCode::from(2);
    }
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let mut command = cli.command;
    let secret_files = read_secret_files(&mut command);
    // `config check` reports an unreadable secret file among its problems; the rest stop here.
    if !matches!(command, Command::Config(_))
        && let Err(message) = &secret_files
    {
        eprintln!("pincer: {message}");
        return ExitCode::FAILURE;
    }
    match command {
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
        Command::RotateEncryptionKey(args) => report(pincer_server::rotate_key::rotate(args)),
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
        Command::Config(ConfigCommand::Check(args)) => {
            let own = matches.subcommand_matches("config").and_then(|config| config.subcommand_matches("check"));
            let settings = own.map(|own| config_check::settings(&args, own, &configured.settings)).unwrap_or_default();
            let found = config_check::findings(&args, secret_files);
            print!("{}", config_check::render(configured.file.as_deref(), &settings, &found));
            if found.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
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

/// Fills the secrets of the command's arguments from the files `PINCER_*_FILE` name.
fn read_secret_files(command: &mut Command) -> Result<(), String> {
    match command {
        Command::Serve(args) | Command::Config(ConfigCommand::Check(args)) => args.store.read_secret_files(),
        Command::UnlockDomain(store) => store.read_secret_files(),
        Command::Migrate(args) => args.store.read_secret_files(),
        Command::Backup(args) => args.store.read_secret_files(),
        Command::RotateEncryptionKey(args) => args.store.read_secret_files(),
        Command::Restore(args) => args.store.read_secret_files(),
        Command::Admin(pincer_server::cli::AdminCommand::ResetPassword(args)) => args.store.read_secret_files(),
        Command::Healthcheck(_) | Command::Openapi => Ok(()),
    }
}
