use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    hybridsim::cli::main_with(hybridsim::cli::Cli::parse())
}
