//! The `tpms` binary: parses the command line and hands over to [`tpms::cli`].

fn main() -> std::process::ExitCode {
    tpms::cli::main()
}
