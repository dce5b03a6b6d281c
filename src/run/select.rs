//! The selection: from the changes (and the images named by hand) to
//! public paths, with the site's mapping; every skip logged with its reason.

use std::io::Write;

use crate::changes::Detected;
use crate::select::{Rules, Selection};
use crate::site::Site;

use super::Stages;
use super::site::Sited;

impl<W: Write> Stages<'_, W> {
    /// The public paths to send and the skips, logged.
    pub(super) fn select(
        &self,
        detected: &Detected,
        images: &[String],
        sited: &Sited,
    ) -> Selection {
        let config = self.config;
        let framework_public_dir = sited
            .site
            .as_ref()
            .filter(|site| site.recognised())
            .and_then(|site| site.public_dir_in_repo().ok());
        let rules = Rules {
            include: &config.include,
            exclude: &config.exclude,
            change_types: &config.change_types,
            public_dirs: &sited.mapping.public_dirs,
            url_prefix: &sited.mapping.url_prefix,
            site_dir: &config.site_dir,
            recognised: sited.site.as_ref().is_some_and(Site::recognised),
            framework_public_dir: framework_public_dir.as_deref(),
        };
        let selection = rules.select(&detected.changes, images);
        let mut log = self.log.borrow_mut();
        log.group(&format!(
            "Images: {} to send, {} skipped",
            selection.targets.len(),
            selection.skipped.len()
        ));
        for target in &selection.targets {
            log.text(&target.log_line());
        }
        for skip in &selection.skipped {
            log.text(&skip.log_line());
        }
        log.end_group();
        selection
    }
}
