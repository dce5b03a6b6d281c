//! The site: its framework config read at head (from the checkout or one
//! GitHub request a file), and `auto` resolved against it.

use std::io::Write;

use crate::changes::{self, ChangesError, Detected, DiffSource};
use crate::config::InputErrors;
use crate::error::Error;
use crate::live::Served;
use crate::report::count;
use crate::select::{self, Mapping, UrlPrefix};
use crate::site::{self, Site, SiteFile};

use super::{Noted, Stages, refusals};

/// What the site stage found, for the stages after it.
pub(super) struct Sited {
    /// The site's framework and config (base path, image settings), read
    /// at head; `None` when no changed image needed placing, so its config
    /// was not read.
    pub site: Option<Site>,
    /// The public dirs and URL prefix the selection uses.
    pub mapping: Mapping,
    /// How the site's optimizer serves images, for the live stage.
    pub served: Served,
    /// The `site-dir` to set, said, when images outside the public dir sit
    /// under an app whose framework the repository root does not have.
    pub site_dir_hint: Option<String>,
}

/// The shown name of the site dir.
fn shown(site_dir: &str) -> &str {
    if site_dir.is_empty() {
        "the repository root"
    } else {
        site_dir
    }
}

impl<W: Write> Stages<'_, W> {
    /// Reads the site's config at head, when a changed image needs placing,
    /// and resolves `auto`. A value the config computes at build time that
    /// `auto` needs ends the run with the input to set (exit 2): a guessed
    /// path would be reported green while visitors keep the stale image.
    pub(super) async fn site(&self, detected: &Detected) -> Noted<Result<Sited, Error>> {
        match self.site_at_head(detected).await {
            Ok((sited, notes)) => Noted {
                value: Ok(sited),
                notes,
                deployment: None,
            },
            Err(error) => Noted::new(Err(error)),
        }
    }

    /// The site stage's value and its notes.
    async fn site_at_head(&self, detected: &Detected) -> Result<(Sited, Vec<String>), Error> {
        let config = self.config;
        let needed = detected.changes.iter().any(|change| {
            config.include.is_match(&change.path)
                || change
                    .old_path
                    .as_deref()
                    .is_some_and(|old| config.include.is_match(old))
        });
        // A run with no changed image to map (a manual run that lists
        // `images`) still reads the config when it asks the live site: the
        // optimizer's path, base path and allowed sizes come from it.
        let head = match detected.head.as_str() {
            "" if config.live.asked() => self.live_head()?,
            "" => None,
            head => Some(head.to_string()),
        };
        let needed = needed || (config.live.asked() && head.is_some());
        let Some(head) = head.filter(|_| needed) else {
            let mapping = self.mapping(&site::detect(&config.site_dir, &[]))?;
            return Ok((
                Sited {
                    site: None,
                    mapping,
                    served: Served::default(),
                    site_dir_hint: None,
                },
                Vec::new(),
            ));
        };
        let shown = shown(&config.site_dir);
        self.log.borrow_mut().group(&format!("Site in {shown}"));
        let read = self.read_site(detected, &head).await;
        self.log.borrow_mut().end_group();
        let (site, mapping) = read?;
        self.check_public_dirs(detected, &head).await?;
        let site_dir_hint = self.site_dir_hint(detected, &head, &site, &mapping)?;
        let mut notes: Vec<String> = site_dir_hint.iter().cloned().collect();
        if site.recognised() || !config.site_dir.is_empty() {
            notes.push(site.describe());
        }
        notes.extend(site.warnings.iter().cloned());
        notes.extend(mapping.warnings.iter().cloned());
        let served = site.served(config.url_prefix.as_ref().and_then(UrlPrefix::path));
        let site = Some(site);
        Ok((
            Sited {
                site,
                mapping,
                served,
                site_dir_hint,
            },
            notes,
        ))
    }

    /// The commit whose config says how the live site serves images, for a
    /// run with no diff (only `images`): `head`, else `GITHUB_SHA`, else the
    /// checkout's `HEAD` with `diff-source: git`. Through the API with no
    /// commit known, the run stops (exit 2): a guessed optimizer would send
    /// every probe to the wrong path and blame the mapping. A dry run asks
    /// nothing, so it needs no commit.
    fn live_head(&self) -> Result<Option<String>, InputErrors> {
        let config = self.config;
        if let Some(head) = config.head.clone().or_else(|| config.runner.sha.clone()) {
            return Ok(Some(head));
        }
        match config.diff_source {
            DiffSource::Git => Ok(Some("HEAD".to_string())),
            DiffSource::Api if config.dry_run => Ok(None),
            DiffSource::Api => Err(refusals::no_commit_for_the_live_site()),
        }
    }

    /// The site as its config files at head say, logged, and the mapping.
    async fn read_site(&self, detected: &Detected, head: &str) -> Result<(Site, Mapping), Error> {
        let files = self.site_files(detected, head).await?;
        let site = site::detect(&self.config.site_dir, &files);
        {
            let mut log = self.log.borrow_mut();
            log.text(&site.describe());
            for warning in &site.warnings {
                log.warning(&crate::untrusted::one_line(warning));
            }
        }
        let mut mapping = self.mapping(&site)?;
        self.linked_public_dirs(&mut mapping, detected, head)
            .await?;
        Ok((site, mapping))
    }

    /// A public dir that is a symbolic link to a folder of the repository
    /// serves that folder's files under its own path: the target is served
    /// too. With the API, only a dir the listing shows as a link is asked.
    async fn linked_public_dirs(
        &self,
        mapping: &mut Mapping,
        detected: &Detected,
        head: &str,
    ) -> Result<(), Error> {
        if detected.changes.is_empty() {
            // Nothing to place (a run that lists `images`).
            return Ok(());
        }
        let dirs: Vec<String> = mapping.public_dirs.dirs().to_vec();
        for dir in dirs.iter().filter(|d| !d.is_empty()) {
            let target = match (self.config.diff_source, &self.github) {
                (DiffSource::Api, Some(github)) => {
                    if detected.links.as_ref().is_some_and(|l| !l.contains(dir)) {
                        continue;
                    }
                    changes::api::link_target(github, &self.repository, head, dir, self.on_retry)
                        .await
                        .map_err(ChangesError::from)?
                }
                _ => changes::git::link_target(&self.checkout(), head, dir)
                    .map_err(ChangesError::from)?,
            };
            if let Some(target) = target {
                self.log.borrow_mut().text(&format!(
                    "{dir} is a symbolic link to {target}: the images there are served under {dir}"
                ));
                mapping.public_dirs.also(target);
            }
        }
        Ok(())
    }

    /// The site's config files at head with their text: from the checkout
    /// with `diff-source: git`, else one GitHub request each (the listing
    /// the comparison fetched says which exist, so none is asked for that
    /// is not there).
    async fn site_files(&self, detected: &Detected, head: &str) -> Result<Vec<SiteFile>, Error> {
        let config = self.config;
        let site_dir = config.site_dir.as_str();
        let api = match (config.diff_source, &self.github) {
            (DiffSource::Api, Some(github)) => Some(github),
            _ => None,
        };
        let before = api.map_or(0, |github| github.requests());
        let listed = match (api, &detected.site_files) {
            (Some(_), Some(files)) => files.clone(),
            (Some(github), None) => {
                match changes::api::files_in(
                    github,
                    &self.repository,
                    head,
                    site_dir,
                    self.on_retry,
                )
                .await
                {
                    Err(crate::github::GitHubError::Status { status: 404, .. }) => Vec::new(),
                    listed => listed.map_err(ChangesError::from)?,
                }
            }
            (None, _) => {
                changes::git::files_in(&self.checkout(), head, site_dir)
                    .map_err(ChangesError::from)?
                    .1
            }
        };
        if !site_dir.is_empty() && listed.is_empty() {
            return Err(refusals::not_a_site_dir(site_dir, head).into());
        }
        let mut files = Vec::new();
        for path in site::config_files(site_dir, |path| listed.iter().any(|l| l == path)) {
            // A config over the reader's cap is not downloaded.
            let largest = if path.ends_with(".json") {
                u64::MAX
            } else {
                site::literal::MAX_SIZE as u64
            };
            let read = match api {
                Some(github) => changes::api::read(
                    github,
                    &self.repository,
                    head,
                    &path,
                    largest,
                    self.on_retry,
                )
                .await
                .map_err(ChangesError::from)?,
                None => Ok(changes::git::read(&self.checkout(), head, &path)
                    .map_err(ChangesError::from)?),
            };
            self.log.borrow_mut().text(&format!("read {path}"));
            files.push(match read {
                Ok(text) => SiteFile {
                    path,
                    text,
                    unread: None,
                },
                Err(size) => SiteFile {
                    path,
                    text: String::new(),
                    unread: Some(usize::try_from(size).unwrap_or(usize::MAX)),
                },
            });
        }
        if let Some(github) = api {
            self.log.borrow_mut().text(&format!(
                "{} config file(s) read ({})",
                files.len(),
                count((github.requests() - before) as usize, "GitHub request")
            ));
        }
        Ok(files)
    }

    /// `auto` resolved against `site`; the warnings of explicit inputs that
    /// contradict it are logged.
    fn mapping(&self, site: &Site) -> Result<Mapping, InputErrors> {
        let config = self.config;
        match select::resolve(
            site,
            config.public_dirs.as_ref(),
            config.url_prefix.as_ref(),
        ) {
            Ok(mapping) => {
                let mut log = self.log.borrow_mut();
                for warning in &mapping.warnings {
                    log.warning(&crate::untrusted::one_line(warning));
                }
                Ok(mapping)
            }
            Err(unknowns) => Err(refusals::auto_unknown(&unknowns)),
        }
    }
}

impl<W: Write> Stages<'_, W> {
    /// An explicit `public-dir` that is not a folder at `head`, and that
    /// the push did not empty, points nowhere: bad input (exit 2), since no
    /// image can be served from it. A folder the push changed something in
    /// costs no request.
    async fn check_public_dirs(&self, detected: &Detected, head: &str) -> Result<(), Error> {
        let Some(dirs) = &self.config.public_dirs else {
            return Ok(());
        };
        let mut errors = Vec::new();
        for dir in dirs.dirs().iter().filter(|dir| !dir.is_empty()) {
            if select::changed_in(dir, &detected.changes) || self.folder_exists(head, dir).await? {
                continue;
            }
            errors.push(refusals::public_dir_nowhere(dir, head));
        }
        match errors.is_empty() {
            true => Ok(()),
            false => Err(InputErrors(errors).into()),
        }
    }

    async fn folder_exists(&self, head: &str, folder: &str) -> Result<bool, Error> {
        let exists = match (self.config.diff_source, &self.github) {
            (DiffSource::Api, Some(github)) => {
                changes::api::folder_exists(github, &self.repository, head, folder, self.on_retry)
                    .await
                    .map_err(ChangesError::from)?
            }
            _ => changes::git::folder_exists(&self.checkout(), head, folder)
                .map_err(ChangesError::from)?,
        };
        Ok(exists)
    }

    /// Without `site-dir`, when the root has no recognised framework and
    /// changed images outside the public dir sit under a folder that has a
    /// framework's config (`apps/web/next.config.ts`): the `site-dir` to
    /// set, said. The config files come from the comparison's listing (or
    /// the checkout): no request of its own.
    fn site_dir_hint(
        &self,
        detected: &Detected,
        head: &str,
        site: &Site,
        mapping: &Mapping,
    ) -> Result<Option<String>, Error> {
        if !self.config.site_dir.is_empty() || site.recognised() {
            return Ok(None);
        }
        let outside: Vec<&str> = detected
            .changes
            .iter()
            .map(|change| change.path.as_str())
            .filter(|path| self.config.include.is_match(path))
            .filter(|path| mapping.public_dirs.strip(path).is_none())
            .collect();
        if outside.is_empty() {
            return Ok(None);
        }
        let configs = match (&detected.framework_configs, self.config.diff_source) {
            (Some(configs), _) => configs.clone(),
            (None, DiffSource::Git) => changes::git::framework_configs(&self.checkout(), head)
                .map_err(ChangesError::from)?,
            (None, DiffSource::Api) => return Ok(None),
        };
        let hint = select::folders_above(&outside, usize::MAX)
            .into_iter()
            .find_map(|dir| {
                let config = configs
                    .iter()
                    .find(|path| path.rsplit_once('/').is_some_and(|(d, _)| d == dir))?;
                Some(format!(
                    "no framework was recognised in the repository root, but `{dir}` has {config}: set `site-dir: {dir}` (the Vercel project's Root Directory)"
                ))
            });
        if let Some(hint) = &hint {
            self.log.borrow_mut().text(hint);
        }
        Ok(hint)
    }
}
