//! The `hybridsim` binary: restores the default SIGPIPE disposition and hands the parsed
//! command line to `cli`, which does everything else.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Like other Unix command-line tools, end quietly when the reader of stdout goes away
    // (`hybridsim run x.ron | head`) instead of panicking on a broken pipe: Rust ignores
    // SIGPIPE by default, which turns every later print into a panic.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    hybridsim::cli::main_with(hybridsim::cli::Cli::parse())
}
