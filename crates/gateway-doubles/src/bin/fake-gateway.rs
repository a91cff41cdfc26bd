//! `fake-gateway`: one gateway double served on a fixed address with a fixed answer latency,
//! for `openflex bench --scenario flexpay-charge-connector` (docs/performance.md). It lives in
//! this crate, not in the `openflex` binary, so no test double ships with the server.
//!
//! Requests are counted but not kept (a long run would hold every body); violations of the
//! gateway's contract are printed when it stops (Ctrl-C), so a benchmark also shows the
//! connector sent well-formed requests throughout.

use clap::Parser;
use openflex_gateway_doubles::{Gateway, serve_at};
use std::time::Duration;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Kind {
    Stripe,
    Adyen,
    Nmi,
    Authorizenet,
}

#[derive(Parser)]
#[command(about = "Serve a gateway double with a fixed latency (for openflex bench)")]
struct Args {
    /// Which gateway to imitate.
    #[arg(long, value_enum, default_value_t = Kind::Stripe)]
    gateway: Kind,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:18190")]
    bind: String,
    /// Time every answer waits before it is sent.
    #[arg(long, default_value_t = 50)]
    latency_ms: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let gateway = match args.gateway {
        Kind::Stripe => Gateway::Stripe,
        Kind::Adyen => Gateway::Adyen,
        Kind::Nmi => Gateway::Nmi,
        Kind::Authorizenet => Gateway::AuthorizeNet,
    };
    let (router, control) = gateway.app();
    control.keep_requests(false);
    control.set_latency(Duration::from_millis(args.latency_ms));
    let double = serve_at(&args.bind, router, control).await?;
    println!(
        "{gateway:?} double on {} answering after {} ms; point openflex at it with\n{}={}",
        double.url,
        args.latency_ms,
        gateway.env_var(),
        gateway.api_root(&double.url)
    );
    tokio::signal::ctrl_c().await?;
    let violations = double.control.violations();
    println!(
        "{} requests received, {} contract violations",
        double.control.received(),
        violations.len()
    );
    for v in violations.iter().take(20) {
        println!("violation: {v}");
    }
    Ok(())
}
