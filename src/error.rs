//! The errors that end a run, and the exit code each one maps to. It wraps
//! each stage's own error, so it stands at the top with `run` and `lib`.
//! What each code means is [`crate::args::EXIT_CODES`].

use crate::changes::ChangesError;
use crate::config::InputErrors;
use crate::deploy::DeployError;
use crate::event::EventError;
use crate::vercel::SetupError;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Input(InputErrors),
    #[error(transparent)]
    Event(#[from] EventError),
    #[error(transparent)]
    Changes(#[from] ChangesError),
    #[error(transparent)]
    Deploy(#[from] DeployError),
    #[error(transparent)]
    Setup(#[from] SetupError),
}

impl From<InputErrors> for Error {
    fn from(errors: InputErrors) -> Self {
        Error::Input(errors)
    }
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_) | Error::Event(_) => EXIT_BAD_INPUT,
            Error::Changes(error) if error.is_configuration() => EXIT_BAD_INPUT,
            Error::Deploy(error) if error.is_configuration() => EXIT_BAD_INPUT,
            Error::Changes(_) | Error::Deploy(_) | Error::Setup(_) => EXIT_FAILED,
        }
    }

    /// One actionable line: what to do next.
    pub fn help(&self) -> Vec<String> {
        match self {
            Error::Input(errors) => errors.0.iter().map(|e| e.help.clone()).collect(),
            Error::Event(error) => vec![error.help()],
            Error::Changes(error) => vec![error.help()],
            Error::Deploy(error) => vec![error.help()],
            Error::Setup(_) => vec![
                "check that the system has CA certificates (/etc/ssl/certs, or SSL_CERT_FILE)"
                    .to_string(),
            ],
        }
    }
}
