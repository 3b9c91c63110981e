//! Static files compressed once, at each codec's best level, beside the
//! originals: `ServeDir` sends `uptake.wasm.br` or `.gz` to a browser that
//! takes it, and the response layer's on-the-fly compression (a faster,
//! lighter level) is left for pages and API answers. The server writes them
//! in the background when it starts, for any file newer than its
//! compressed copies; until then the files go out compressed on the fly.

use std::{
    io::{self, Write},
    path::{Path, PathBuf},
};

/// File kinds worth compressing: the wasm, scripts, styles, images as text.
const KINDS: [&str; 4] = ["wasm", "js", "css", "svg"];

/// What one run wrote: per file, its size and its brotli size.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub written: Vec<(PathBuf, u64, u64)>,
}

/// Writes `file.br` and `file.gz` beside every static file under `root`
/// that has none, or older ones. Each is written to a temporary name and
/// renamed, so a reader never sees half a file.
pub fn precompress(root: &Path) -> io::Result<Report> {
    let mut report = Report::default();
    for path in static_files(root)? {
        if fresh(&path, "br")? && fresh(&path, "gz")? {
            continue;
        }
        let body = std::fs::read(&path)?;
        let br = brotli_best(&body)?;
        write_beside(&path, "br", &br)?;
        write_beside(&path, "gz", &gzip_best(&body)?)?;
        report
            .written
            .push((path, body.len() as u64, br.len() as u64));
    }
    Ok(report)
}

/// Removes compressed copies older than their files (a build replaced the
/// wasm), so that until they are written again the new file goes out,
/// compressed on the fly, never the old one. Returns how many it removed.
pub fn drop_stale(root: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for path in static_files(root)? {
        for ext in ["br", "gz"] {
            let copy = with_ext(&path, ext);
            if copy.exists() && !fresh(&path, ext)? {
                std::fs::remove_file(copy)?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// Every file of a kind worth compressing under `root`.
fn static_files(root: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if KINDS.contains(&path.extension().and_then(|e| e.to_str()).unwrap_or("")) {
                files.push(path);
            }
        }
    }
    Ok(files)
}

/// Whether `path.ext` exists and is no older than `path`.
fn fresh(path: &Path, ext: &str) -> io::Result<bool> {
    let copy = with_ext(path, ext);
    let Ok(copy) = std::fs::metadata(copy) else {
        return Ok(false);
    };
    Ok(copy.modified()? >= std::fs::metadata(path)?.modified()?)
}

fn with_ext(path: &Path, ext: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

fn write_beside(path: &Path, ext: &str, bytes: &[u8]) -> io::Result<()> {
    let target = with_ext(path, ext);
    let partial = with_ext(path, &format!("{ext}.partial"));
    std::fs::write(&partial, bytes)?;
    std::fs::rename(partial, target)
}

/// Brotli at quality 11 with a 16 MB window: slow once, smallest on the
/// wire for every page view after.
fn brotli_best(body: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() / 3);
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 24);
        writer.write_all(body)?;
    }
    Ok(out)
}

fn gzip_best(body: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(body)?;
    encoder.finish()
}

/// Drops stale copies at once, then runs [`precompress`] off the async
/// runtime and logs what it did.
pub fn start(root: PathBuf) {
    if let Err(e) = drop_stale(&root) {
        tracing::warn!("stale compressed copies under {}: {e}", root.display());
    }
    tokio::task::spawn_blocking(move || match precompress(&root) {
        Ok(report) => {
            for (path, size, br) in report.written {
                tracing::info!(file = %path.display(), size, br, "static file precompressed");
            }
        }
        Err(e) => tracing::warn!(
            "static files under {} not precompressed ({e}); they go out compressed on the fly",
            root.display()
        ),
    });
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn each_static_file_gets_its_best_compressed_copies_once_and_again_when_it_changes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pkg = dir.path().join("pkg");
        std::fs::create_dir(&pkg).expect("pkg");
        let wasm = pkg.join("app.wasm");
        let body: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        std::fs::write(&wasm, &body).expect("wasm");
        std::fs::write(dir.path().join("page.html"), "not a static kind").expect("html");

        let report = precompress(dir.path()).expect("precompressed");
        assert_eq!(report.written.len(), 1, "{report:?}");
        let (_, size, br) = &report.written[0];
        assert_eq!(*size, body.len() as u64);
        assert!(*br < size / 10, "{br} of {size}");
        let mut unbrotli = Vec::new();
        brotli::Decompressor::new(
            std::fs::File::open(with_ext(&wasm, "br")).expect("br"),
            4096,
        )
        .read_to_end(&mut unbrotli)
        .expect("brotli");
        assert_eq!(unbrotli, body);
        let mut ungzip = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(with_ext(&wasm, "gz")).expect("gz"))
            .read_to_end(&mut ungzip)
            .expect("gzip");
        assert_eq!(ungzip, body);
        assert!(!dir.path().join("page.html.br").exists());

        assert_eq!(precompress(dir.path()).expect("again"), Report::default());
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&wasm, b"a new build").expect("rebuilt");
        assert_eq!(
            precompress(dir.path())
                .expect("after a build")
                .written
                .len(),
            1
        );
    }
}
