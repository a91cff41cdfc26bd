//! What every connector's leak test needs: the debug logs the test's own thread wrote.
//!
//! One global subscriber for the test binary, not one `set_default` per test: with scoped
//! subscribers, a log call site first reached by another test's thread (which has none) can
//! be cached as "never enabled" just as the leak test installs its own, and the leak test then
//! sees no logs at all (it failed that way about once in fifteen runs). Events are written to a
//! buffer of the thread that emits them; each test runs on its own current-thread runtime, so
//! the buffer holds that test's logs only.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Once;

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

struct ThreadSink;

impl Write for ThreadSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        BUFFER.with(|b| b.borrow_mut().extend_from_slice(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// This thread's logs from the call of [`capture`] on.
pub struct Logs;

/// Starts capturing this thread's logs at TRACE level.
pub fn capture() -> Logs {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .without_time()
            .with_ansi(false)
            .with_writer(|| ThreadSink)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    });
    BUFFER.with(|b| b.borrow_mut().clear());
    Logs
}

impl Logs {
    pub fn text(&self) -> String {
        BUFFER.with(|b| String::from_utf8_lossy(&b.borrow()).into_owned())
    }
}
