//! The entrypoint: capture the process's arguments and environment, run,
//! and turn the result into the exit status. All logic is in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // A variable that is not UTF-8 cannot be an input or a runner setting
    // this tool reads; it is left out rather than mangled.
    let env: vercel_image_invalidate::config::Env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let code = vercel_image_invalidate::main_with(
        argv,
        &env,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
