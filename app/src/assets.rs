//! The addresses of the static files a page loads, each naming its
//! content, so that a browser may keep them for a year
//! (`server::routes`): the wasm and its script by cargo-leptos' hashed
//! names (`HydrationScripts`), the stylesheet by the same, and plotly.js,
//! copied from npm under a fixed name, by a digest in its query string.

use std::{hash::Hasher, path::Path, sync::OnceLock};

use leptos::prelude::LeptosOptions;

/// The stylesheet's and plotly.js's addresses, worked out once.
pub fn hrefs(options: &LeptosOptions) -> &'static (String, String) {
    static HREFS: OnceLock<(String, String)> = OnceLock::new();
    HREFS.get_or_init(|| {
        let pkg = &options.site_pkg_dir;
        let name = &options.output_name;
        let styles = match options
            .hash_files
            .then(|| hash_of(&options.hash_file, "css"))
            .flatten()
        {
            Some(hash) => format!("/{pkg}/{name}.{hash}.css"),
            None => format!("/{pkg}/{name}.css"),
        };
        let plotly = Path::new(options.site_root.as_ref()).join("js/plotly.min.js");
        let plotly = match std::fs::read(plotly) {
            Ok(bytes) => format!("/js/plotly.min.js?v={}", digest(&bytes)),
            Err(_) => "/js/plotly.min.js".to_owned(),
        };
        (styles, plotly)
    })
}

/// A file's hash as cargo-leptos wrote it in the hash file beside the
/// binary (`hash.txt`: lines such as `css: 3Yq…`), where `HydrationScripts`
/// reads the script's and the wasm's.
fn hash_of(hash_file: &str, kind: &str) -> Option<String> {
    let file = std::env::current_exe().ok()?.parent()?.join(hash_file);
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|line| {
        let (k, hash) = line.split_once(':')?;
        (k.trim() == kind).then(|| hash.trim().to_owned())
    })
}

/// A short digest of a file's bytes: the same bytes give the same
/// address, other bytes another.
fn digest(bytes: &[u8]) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(bytes);
    format!("{:016x}", hasher.finish())
}
