//! The accept loop. Why not `axum::serve`: it gives hyper no timer, and without one hyper's
//! header-read timeout never fires, so a client trickling its headers a byte at a time holds a
//! connection (and its memory) forever. Bodies are covered by the 30 s request timeout, since
//! handlers read them.
//!
//! With built-in TLS the handshake runs in the connection's own task (a slow client never stalls
//! the accept loop) under the same header-read timeout, so a client that connects and says
//! nothing is dropped as soon as one trickling its headers would be. Requests on such a
//! connection carry [`TlsTerminated`], which is how the handlers know the client used HTTPS.

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use openflex_http::client::TlsTerminated;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Serves `app` on `listener` (over TLS when `tls` is set) until `shutdown` resolves, then lets
/// in-flight requests finish.
pub(crate) async fn serve(
    listener: TcpListener,
    app: axum::Router,
    header_read_timeout: Duration,
    tls: Option<TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let conn = Connection {
            builder: builder.clone(),
            app: app.clone(),
            peer,
            watcher: graceful.watcher(),
        };
        let tls = tls.clone();
        tokio::spawn(async move {
            let Some(acceptor) = tls else {
                return conn.serve(stream, false).await;
            };
            match tokio::time::timeout(header_read_timeout, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => conn.serve(stream, true).await,
                Ok(Err(e)) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
    drop(listener);
    // In-flight requests finish (each is bounded by the request timeout).
    graceful.shutdown().await;
}

/// One accepted connection, before its stream is known to be plain or TLS.
struct Connection {
    builder: Builder<TokioExecutor>,
    app: axum::Router,
    peer: SocketAddr,
    watcher: Watcher,
}

impl Connection {
    async fn serve<S>(self, stream: S, tls: bool)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Self {
            builder,
            app,
            peer,
            watcher,
        } = self;
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                if tls {
                    req.extensions_mut().insert(TlsTerminated);
                }
                app.clone().oneshot(req.map(axum::body::Body::new))
            });
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        if let Err(e) = watcher.watch(conn.into_owned()).await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    }
}
