//! The process log. Log lines carry text from outside (query arguments,
//! sign-in names, vendor answers), so every line is written escaped: one
//! event is one line, and no control character reaches the terminal or the
//! log collector (issue #17, finding 9).

use std::io::{self, Write};

/// Sets up the log on standard error, filtered by `UPTAKE_LOG`.
pub fn init() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("UPTAKE_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_ansi(false)
        .with_writer(|| Escaped(io::stderr()))
        .init();
}

/// A writer that takes one formatted event per write and escapes every
/// control character in it but the newline that ends it.
pub struct Escaped<W>(pub W);

impl<W: Write> Write for Escaped<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .write_all(escape_event(&String::from_utf8_lossy(buf)).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// One event's text as one line: control characters (newlines, carriage
/// returns, escape bytes) and the Unicode line separators are written as
/// escapes; a final newline is kept.
pub fn escape_event(event: &str) -> String {
    let (body, end) = match event.strip_suffix('\n') {
        Some(body) => (body, "\n"),
        None => (event, ""),
    };
    let mut line = String::with_capacity(event.len());
    for c in body.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line.push_str(end);
    line
}

/// What the command line prints for a failed command, by the one error
/// policy (`app::api::ssr::AppError`): a store failure or an account
/// change that the operator cannot fix is logged with a reference and
/// printed as that reference; anything else (a file that cannot be read,
/// a bad argument, a refused value) is printed with its causes.
pub fn for_operator(e: &anyhow::Error) -> String {
    use app::api::ssr::{AppError, accounts::AccountError};
    use store::StoreError;
    let internal = e.chain().any(|cause| {
        cause
            .downcast_ref::<StoreError>()
            .is_some_and(|s| !s.is_users_to_fix())
            || cause
                .downcast_ref::<AccountError>()
                .is_some_and(|a| !a.is_users_to_fix())
    });
    if internal {
        AppError::internal(format!("{e:#}")).to_string()
    } else {
        format!("{e:#}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn an_event_stays_one_line_and_carries_no_control_bytes() {
        assert_eq!(escape_event("plain text\n"), "plain text\n");
        assert_eq!(
            escape_event("unit=C01\n2026-12-05T00:00:00Z INFO forged\n"),
            "unit=C01\\n2026-12-05T00:00:00Z INFO forged\n"
        );
        assert_eq!(
            escape_event("a\r\u{1b}[31mred\u{7}\u{2028}b\n"),
            "a\\r\\u{1b}[31mred\\u{7}\\u{2028}b\n"
        );
        assert_eq!(escape_event("no end"), "no end");
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_forged_line_in_a_field_is_written_escaped() {
        let out = Captured::default();
        let sink = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || Escaped(sink.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let unit = "C01\nINFO admin signed in\u{1b}[2J";
            tracing::warn!(%unit, "refused a request");
            tracing::info!("second {unit}");
        });
        let text = String::from_utf8(out.0.lock().expect("log buffer").clone()).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].contains(r"C01\nINFO admin signed in\u{1b}[2J"));
        assert!(!text.contains('\u{1b}'));
    }
}
