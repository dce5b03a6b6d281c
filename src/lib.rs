//! vercel-image-invalidate: finds the images a push changed and asks Vercel
//! to revalidate their cached variants.
//!
//! The modules follow the data: [`args`] and [`config`] (inputs) ->
//! [`event`] (what to compare) -> [`changes`] (changed files) -> [`select`]
//! (public paths) -> [`deploy`] (wait until live) -> [`vercel`]
//! (invalidation) -> [`report`] (summary, outputs); [`actions`] speaks the
//! runner's language throughout.

pub mod actions;
pub mod args;
pub mod changes;
pub mod config;
pub mod deploy;
pub mod error;
pub mod event;
pub mod github;
pub mod live;
mod random;
pub mod report;
pub mod retry;
mod run;
pub mod secret;
pub mod select;
pub mod untrusted;
pub mod vercel;

/// Sent with every request, so that API owners can tell who is calling.
pub const USER_AGENT: &str = concat!("vercel-image-invalidate/", env!("CARGO_PKG_VERSION"));

use std::cell::RefCell;
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use clap::Parser;

use crate::actions::{Level, Log, LogStyle};
use crate::args::Args;
use crate::config::{Config, Env, Runner, Secrets};
use crate::error::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, Error};
use crate::report::{Problem, Report};
use crate::select::SkipKind;

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
        Err(error) => {
            use clap::error::ErrorKind;
            let informational = matches!(
                error.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            );
            let target: &mut dyn Write = if informational { stdout } else { stderr };
            let _ = write!(target, "{}", error.render());
            return if informational {
                EXIT_OK
            } else {
                EXIT_BAD_INPUT
            };
        }
    };
    let runner = Runner::from_env(env, args.verbose);
    let (log_out, report_out): (&mut dyn Write, &mut dyn Write) = if runner.in_actions {
        (stdout, stderr)
    } else {
        (stderr, stdout)
    };
    let style = if runner.in_actions {
        LogStyle::Actions
    } else {
        LogStyle::Terminal
    };
    let mut log = Log::new(log_out, style, runner.debug);

    // Before anything else is printed: hide the tokens.
    let secrets = Secrets::resolve(&args, env);
    for secret in secrets.all() {
        log.mask(secret);
    }
    let redactions = actions::secret_list(secrets.all());

    let config = match Config::build(&args, env, secrets) {
        Ok(config) => config,
        Err(errors) => {
            let error = Error::from(errors);
            let mut report = Report {
                server_url: runner.server_url.clone(),
                ..Report::default()
            };
            return finish(
                &mut log,
                report_out,
                &runner,
                &mut report,
                Some(error),
                false,
                &redactions,
            );
        }
    };
    for warning in &config.warnings {
        log.warning(warning);
    }

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
        ..Report::default()
    };
    let result = runtime.block_on(run::execute(&config, &log, &mut report));
    let mut log = log.into_inner();
    finish(
        &mut log,
        report_out,
        &config.runner,
        &mut report,
        result.err(),
        config.fail_on_error,
        &redactions,
    )
}

/// Writes the summary, the outputs and the closing log lines; picks the exit
/// code.
fn finish<W: Write>(
    log: &mut Log<W>,
    report_out: &mut dyn Write,
    runner: &Runner,
    report: &mut Report,
    error: Option<Error>,
    fail_on_error: bool,
    redactions: &[String],
) -> u8 {
    let mut code = EXIT_OK;
    if let Some(error) = &error {
        // The causes, each said once (several lines stay several lines).
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.contains(&text) {
                message = format!("{message}: {text}");
            }
            source = cause.source();
        }
        let help = error.help();
        let mut annotation = message.clone();
        for line in &help {
            annotation.push_str(&format!("\nhelp: {line}"));
        }
        log.annotate(Level::Error, Some("vercel-image-invalidate"), &annotation);
        report.problem = Some(Problem { message, help });
        code = error.exit_code();
    }
    report.redact(redactions);

    let failed = report.failed();
    if !failed.is_empty() {
        let first = report
            .rows
            .iter()
            .find_map(|row| match &row.outcome {
                report::Outcome::Failed(reason) => Some(reason.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let level = if fail_on_error || error.is_some() {
            Level::Error
        } else {
            Level::Warning
        };
        log.annotate(
            level,
            Some("Vercel image invalidation"),
            &format!(
                "{} could not be {}: {first}. The job summary lists them.",
                if failed.len() == 1 {
                    "1 image".to_string()
                } else {
                    format!("{} images", failed.len())
                },
                report.verb()
            ),
        );
        if let Some(stop) = &report.stop {
            log.annotate(
                level,
                Some("Stopped early"),
                &format!("{}\nhelp: {}", stop.reason, stop.help),
            );
        }
        if error.is_none() && fail_on_error {
            code = EXIT_FAILED;
        }
    }
    let outside: Vec<String> = report
        .rows
        .iter()
        .filter(|row| {
            matches!(
                row.outcome,
                report::Outcome::Skipped(SkipKind::OutsidePublicDirs, _)
            )
        })
        .filter_map(|row| row.sources.first())
        .map(|source| untrusted::one_line(&source.repo_path).into_owned())
        .collect();
    if !outside.is_empty() {
        let shown: Vec<&str> = outside.iter().take(5).map(String::as_str).collect();
        log.warning(&format!(
            "{} changed image(s) are outside the public dir and were not invalidated: {}{}. Set public-dir if they are served.",
            outside.len(),
            shown.join(", "),
            if outside.len() > 5 { ", ..." } else { "" }
        ));
    }

    let mut write_failed = false;
    if let Some(path) = &runner.step_summary
        && let Err(error) = append(
            path,
            actions::redact(&report.markdown(), redactions).as_bytes(),
        )
    {
        log.error(&format!(
            "could not write the job summary to {}: {error}",
            path.display()
        ));
        write_failed = true;
    }
    if let Some(path) = &runner.output {
        let mut buffer = Vec::new();
        let outputs: Vec<(&str, String)> = report
            .outputs()
            .into_iter()
            .map(|(name, value)| (name, actions::redact(&value, redactions).into_owned()))
            .collect();
        let written =
            actions::write_outputs(&mut buffer, &outputs).and_then(|()| append(path, &buffer));
        if let Err(error) = written {
            log.error(&format!(
                "could not write the step outputs to {}: {error}",
                path.display()
            ));
            write_failed = true;
        }
    }
    match log.style() {
        LogStyle::Actions => {
            for line in report.text().lines() {
                log.text(line);
            }
        }
        // The error, already printed with its fix, is the whole story when
        // nothing else happened.
        LogStyle::Terminal if report.problem.is_some() && report.rows.is_empty() => {}
        LogStyle::Terminal => {
            let text = report.text();
            let _ = report_out.write_all(actions::redact(&text, redactions).as_bytes());
            let _ = report_out.flush();
        }
    }
    log.flush();
    if write_failed && code == EXIT_OK {
        code = EXIT_FAILED;
    }
    code
}

fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.flush()
}
