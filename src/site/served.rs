//! How the site's image optimizer serves images, from its config: the plain
//! values the live stage asks the site with.

use crate::live::{self, Optimizer, Served};

use super::{Framework, Setting, Site};

impl Site {
    /// Where the optimizer is and the widths, qualities and formats it
    /// allows: Next.js's `images` and `basePath`, else `vercel.json`'s
    /// `images`. `url_prefix` is the path `url-prefix` was set to by hand,
    /// if any: a basePath computed at build time is that one.
    pub fn served(&self, url_prefix: Option<&str>) -> Served {
        if self.framework == Framework::NextJs {
            self.next_served(url_prefix)
        } else {
            self.vercel_served()
        }
    }

    /// Next.js's optimizer under its basePath, with the `images` settings
    /// the config writes literally and Next.js's defaults for the rest.
    fn next_served(&self, url_prefix: Option<&str>) -> Served {
        let images = &self.next_images;
        let base_path = match (&self.base_path, url_prefix) {
            (Setting::Known(base), _) => base.clone(),
            (Setting::Unknown(_), Some(prefix)) => prefix.trim_end_matches('/').to_string(),
            _ => String::new(),
        };
        let mut served = Served::new(Optimizer::NextJs { base_path });
        let device = images
            .device_sizes
            .known()
            .cloned()
            .unwrap_or_else(|| live::NEXT_DEVICE_SIZES.to_vec());
        let image = images
            .image_sizes
            .known()
            .cloned()
            .unwrap_or_else(|| live::NEXT_IMAGE_SIZES.to_vec());
        served.widths = [device, image].concat();
        if let Some(qualities) = images.qualities.known() {
            served.qualities = qualities.clone();
        }
        if let Some(formats) = images.formats.known() {
            served.formats = formats.clone();
        }
        served
    }

    /// Vercel's own optimizer (`/_vercel/image`), as `vercel.json`'s
    /// `images` configures it for any other framework.
    fn vercel_served(&self) -> Served {
        let images = &self.vercel_images;
        let mut served = Served::new(Optimizer::Vercel);
        if let Some(sizes) = images.sizes.known() {
            served.widths = sizes.clone();
        }
        if let Some(qualities) = images.qualities.known() {
            served.qualities = qualities.clone();
        }
        if let Some(formats) = images.formats.known() {
            served.formats = formats.clone();
        }
        served
    }
}
