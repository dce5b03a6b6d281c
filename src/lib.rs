//! vercel-image-invalidate: finds the images a push changed and asks Vercel
//! to revalidate their cached variants.
//!
//! The modules follow the data: [`inputs`], [`args`] and [`config`] (the
//! boundary), then the run's story: plan ([`event`]: what to compare and
//! what gates it) -> resolve ([`deploy`], read in one place: the range) ->
//! [`changes`] (changed files) -> [`site`] (how it serves them) ->
//! [`select`] (public paths) -> send ([`vercel`]) -> [`live`] (verify,
//! warm) -> [`report`] (summary, outputs, annotations); [`actions`] speaks
//! the runner's language throughout. `ARCHITECTURE.md`
//! has the layers. This page is the whole run: flags, masking, config, the
//! stages, the report, the exit code.

pub mod actions;
pub mod args;
pub mod changes;
pub mod config;
pub mod deploy;
pub mod error;
pub mod event;
pub mod github;
pub mod inputs;
pub mod live;
mod random;
pub mod report;
pub mod retry;
mod run;
pub mod secret;
pub mod select;
pub mod site;
pub mod untrusted;
pub mod vercel;

use std::cell::RefCell;
use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

use crate::actions::{Log, LogStyle};
use crate::args::Args;
use crate::config::{Config, Env, Runner, Secrets};
use crate::error::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, Error};
use crate::report::{Delivery, Report, RunProblem};

/// Where the run prints: the log, the report as text, and (`--json`) the
/// whole result.
struct Prints<'a> {
    report: Box<dyn Write + 'a>,
    json: Option<Box<dyn Write + 'a>>,
}

/// The process's two streams, stdout and stderr, taken by turns.
type Streams<'a, 'b> = [&'a RefCell<&'b mut dyn Write>; 2];

/// Where the log and the prints go. In Actions the log is the step's
/// output; on a terminal the report is the output. With --json the result
/// alone is, and the rest goes to stderr; with --quiet only errors are
/// printed.
fn wire<'a, 'b>(
    args: &Args,
    in_actions: bool,
    [stdout, stderr]: Streams<'a, 'b>,
) -> (Shared<'a, 'b>, Prints<'a>) {
    let to = |to_stdout: bool| Shared(if to_stdout { stdout } else { stderr });
    let (log_to_stdout, report_to_stdout) = match (args.json, in_actions) {
        (true, _) => (false, false),
        (false, in_actions) => (in_actions, !in_actions),
    };
    let report: Box<dyn Write + 'a> = if args.quiet {
        Box::new(std::io::sink())
    } else {
        Box::new(to(report_to_stdout))
    };
    let json = args.json.then(|| Box::new(to(true)) as Box<dyn Write + 'a>);
    (to(log_to_stdout), Prints { report, json })
}

/// One of the process's streams, written by both the log and the report
/// (`--json` sends both to stderr); they take turns, one write at a time.
struct Shared<'a, 'b>(&'a RefCell<&'b mut dyn Write>);

impl Write for Shared<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.borrow_mut().flush()
    }
}

/// Runs the tool: `argv` and `env` as the process got them, the log and the
/// terminal report written to `stdout`/`stderr`. Returns the exit code.
pub fn main_with(
    argv: Vec<OsString>,
    env: &Env,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(error) => return refuse_flags(&error, stdout, stderr),
    };
    let runner = Runner::from_env(env, args.verbose);
    let (stdout, stderr): (RefCell<&mut dyn Write>, RefCell<&mut dyn Write>) =
        (RefCell::new(&mut *stdout), RefCell::new(&mut *stderr));
    let (log_out, mut prints) = wire(&args, runner.in_actions, [&stdout, &stderr]);
    let style = if runner.in_actions {
        LogStyle::Actions
    } else {
        LogStyle::Terminal
    };
    let mut log = Log::new(log_out, style, runner.debug).errors_only(args.quiet);

    // Before anything else is printed: hide the tokens.
    let secrets = Secrets::resolve(&args, env);
    for secret in secrets.all() {
        log.mask(secret);
    }
    let delivery = |runner: &Runner, fail_on_error, fail_on_unverified| Delivery {
        summary: runner.step_summary.clone(),
        outputs: runner.output.clone(),
        report_file: actions::step_file(
            runner.home.as_deref(),
            runner.temp.as_deref(),
            &format!(
                "vercel-image-invalidate-{}.json",
                // Unique is enough here: the folder belongs to the job.
                random::token().unwrap_or_else(|_| std::process::id().to_string())
            ),
        ),
        redactions: actions::secret_list(secrets.all()),
        fail_on_error,
        fail_on_unverified,
    };
    let delivery_of_bad_input = delivery(&runner, false, false);
    let config = match Config::build(&args, env, secrets.clone()) {
        Ok(config) => config,
        Err(errors) => {
            let mut report = Report {
                server_url: runner.server_url.clone(),
                ..Report::default()
            };
            let error = Some(Error::from(errors));
            return finish(
                &mut log,
                &mut prints,
                &mut report,
                error,
                &delivery_of_bad_input,
            );
        }
    };
    for warning in &config.warnings {
        log.warning(warning);
    }
    let delivery = delivery(
        &config.runner,
        config.fail_on_error,
        config.live.fail_on_unverified,
    );
    run_valid(&config, log, &mut prints, &delivery)
}

/// The stages and the report, once the inputs are valid.
fn run_valid<W: Write>(
    config: &Config,
    mut log: Log<W>,
    prints: &mut Prints,
    delivery: &Delivery,
) -> u8 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            log.error(&format!("could not start the async runtime: {error}"));
            return EXIT_FAILED;
        }
    };
    let log = RefCell::new(log);
    let mut report = Report {
        dry_run: config.dry_run,
        mode: Some(config.mode),
        project: config.project.clone(),
        repository: config.runner.repository.clone(),
        server_url: config.runner.server_url.clone(),
        warnings: config.warnings.clone(),
        ..Report::default()
    };
    let result = runtime.block_on(run::execute(config, &log, &mut report));
    finish(
        &mut log.into_inner(),
        prints,
        &mut report,
        result.err(),
        delivery,
    )
}

/// `--help` and `--version` to `stdout` with 0; a bad flag to `stderr` with 2.
fn refuse_flags(error: &clap::Error, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    use clap::error::ErrorKind;
    let informational = matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    );
    let target: &mut dyn Write = if informational { stdout } else { stderr };
    let _ = write!(target, "{}", error.render());
    if informational {
        EXIT_OK
    } else {
        EXIT_BAD_INPUT
    }
}

/// Delivers the report, with the error that ended the run if any, prints
/// the whole result with --json, and picks the exit code.
fn finish<W: Write>(
    log: &mut Log<W>,
    prints: &mut Prints,
    report: &mut Report,
    error: Option<Error>,
    delivery: &Delivery,
) -> u8 {
    report.problem = error.as_ref().map(problem);
    let delivered = report.deliver(log, &mut prints.report, delivery);
    // The report file's text: the report is redacted by now, and the JSON
    // is redacted again as the file's is.
    let json_failed = prints.json.as_mut().is_some_and(|out| {
        let json = actions::redact(&report.whole_json(), &delivery.redactions).into_owned();
        let written = writeln!(out, "{json}").and_then(|()| out.flush());
        if let Err(error) = &written {
            log.error(&format!("could not print the result on stdout: {error}"));
        }
        written.is_err()
    });
    match error {
        Some(error) => error.exit_code(),
        None if delivered.refused_configuration => EXIT_FAILED,
        None if delivered.failed_images && delivery.fail_on_error => EXIT_FAILED,
        None if delivered.unverified_images && delivery.fail_on_unverified => EXIT_FAILED,
        None if delivered.write_failed || json_failed => EXIT_FAILED,
        None => EXIT_OK,
    }
}

/// The error as the report shows it: its causes, each said once (several
/// lines stay several lines), and the fix.
fn problem(error: &Error) -> RunProblem {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        source = cause.source();
    }
    RunProblem {
        message,
        help: error.help(),
    }
}
