//! The log subscriber: lambda_runtime's (text, or JSON with `AWS_LAMBDA_LOG_FORMAT=JSON`; level
//! from `AWS_LAMBDA_LOG_LEVEL` / `RUST_LOG`), writing through [`OneLine`].
//!
//! Logs quote text from outside: errors naming what a request or a webhook sent, header values,
//! ids from payloads. In the text format a newline in such a value would end the line, and the
//! rest would read as a line of its own (CloudWatch splits events on newlines): a forged
//! `ERROR ...`. Rather than trusting every log call to escape its fields, the one writer every
//! event goes through escapes the control characters inside an event ([`escape`]), so an event
//! is always one line. JSON lines are already escaped and pass unchanged.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

use lambda_runtime::tracing::subscriber::fmt::MakeWriter;

/// Installs the global subscriber, writing to `writer` (stdout under Lambda, stderr for the CLI).
pub fn init<W>(writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    lambda_runtime::tracing::init_default_subscriber_with_writer(OneLine::new(writer));
}

/// `text` with its control characters written as escapes (`\n`, `\r`, `\u{1b}`; a tab stays),
/// and the Unicode line and paragraph separators too: it cannot start a line of its own.
pub fn escape(text: &str) -> Cow<'_, str> {
    let unsafe_char =
        |c: char| (c.is_control() && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}');
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            c if unsafe_char(c) => {
                let _ = write!(escaped, "\\u{{{:x}}}", u32::from(c));
            }
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// A [`MakeWriter`] whose writers keep each log event on one line: the formatter hands over
/// an event as one write ending in `\n`; everything before that newline is [`escape`]d.
pub struct OneLine<M>(M);

impl<M> OneLine<M> {
    pub fn new(make: M) -> Self {
        OneLine(make)
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for OneLine<M> {
    type Writer = OneLineWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        OneLineWriter(self.0.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        OneLineWriter(self.0.make_writer_for(meta))
    }
}

/// The writer of one event; see [`OneLine`].
pub struct OneLineWriter<W>(W);

impl<W: io::Write> io::Write for OneLineWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let (line, end) = match text.strip_suffix('\n') {
            Some(line) => (line, "\n"),
            None => (text.as_ref(), ""),
        };
        // One write, as the formatter made it, so that events of other threads cannot come
        // between a line and its end.
        match escape(line) {
            Cow::Borrowed(_) => self.0.write_all(buf)?,
            Cow::Owned(mut escaped) => {
                escaped.push_str(end);
                self.0.write_all(escaped.as_bytes())?;
            }
        }
        // All of `buf` was taken, so the formatter's write_all makes one call.
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn control_characters_are_escaped_and_plain_text_is_not_copied() {
        assert!(matches!(escape("plain text\tand a tab"), Cow::Borrowed(_)));
        assert_eq!(
            escape("a\nERROR b\r\n\u{1b}[31m\u{2028}é\u{85}"),
            "a\\nERROR b\\r\\n\\u{1b}[31m\\u{2028}é\\u{85}"
        );
    }

    #[test]
    fn one_event_is_one_line() {
        let mut written = Vec::new();
        let mut writer = OneLineWriter(&mut written);
        writer
            .write_all(b" WARN refused error=`RS256\nERROR forged`\n")
            .unwrap();
        writer.write_all(b"{\"level\":\"INFO\"}\n").unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            " WARN refused error=`RS256\\nERROR forged`\n{\"level\":\"INFO\"}\n"
        );
    }
}
