//! JSON logs (one object per line, with the request id span field) or human-readable ones.
//! Request bodies are never logged; the Authorization header is marked sensitive.

use tracing_subscriber::EnvFilter;

pub fn init(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "pretty" {
        builder.try_init()
    } else {
        builder.json().with_current_span(true).try_init()
    };
}
