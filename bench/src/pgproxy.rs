//! A counting TCP proxy in front of PostgreSQL: it reads the frontend protocol the server
//! sends and counts round trips (`Sync` and simple `Query` messages: each waits for the
//! database) and statements (`Execute` and `Query`). Used to state what one request costs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Default)]
pub struct Counters {
    pub round_trips: AtomicU64,
    pub statements: AtomicU64,
    pub parses: AtomicU64,
}

impl Counters {
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.round_trips.load(Ordering::SeqCst),
            self.statements.load(Ordering::SeqCst),
            self.parses.load(Ordering::SeqCst),
        )
    }
}

/// Listens on 127.0.0.1 (a free port) and forwards to `upstream` (`host:port`).
pub async fn start(upstream: String) -> anyhow::Result<(u16, Arc<Counters>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let counters = Arc::new(Counters::default());
    let shared = counters.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, counters) = (upstream.clone(), shared.clone());
            tokio::spawn(async move {
                if let Ok(server) = TcpStream::connect(&upstream).await {
                    let _ = pipe(client, server, counters).await;
                }
            });
        }
    });
    Ok((port, counters))
}

async fn pipe(client: TcpStream, server: TcpStream, counters: Arc<Counters>) -> anyhow::Result<()> {
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let back =
        tokio::spawn(async move { tokio::io::copy(&mut server_read, &mut client_write).await });
    let mut parser = Parser::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = client_read.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        parser.feed(&buf[..n], &counters);
        server_write.write_all(&buf[..n]).await?;
    }
    back.abort();
    Ok(())
}

/// Splits the frontend byte stream into messages: first untyped ones (SSLRequest, startup),
/// then `type byte + length`.
#[derive(Default)]
struct Parser {
    pending: Vec<u8>,
    started: bool,
}

impl Parser {
    fn feed(&mut self, bytes: &[u8], counters: &Counters) {
        self.pending.extend_from_slice(bytes);
        loop {
            if !self.started {
                if self.pending.len() < 8 {
                    return;
                }
                let len = u32::from_be_bytes([
                    self.pending[0],
                    self.pending[1],
                    self.pending[2],
                    self.pending[3],
                ]) as usize;
                if self.pending.len() < len {
                    return;
                }
                let code = u32::from_be_bytes([
                    self.pending[4],
                    self.pending[5],
                    self.pending[6],
                    self.pending[7],
                ]);
                // 80877103 = SSLRequest, 80877104 = GSSENCRequest: another untyped message follows.
                if code != 80_877_103 && code != 80_877_104 {
                    self.started = true;
                }
                self.pending.drain(..len);
                continue;
            }
            if self.pending.len() < 5 {
                return;
            }
            let kind = self.pending[0];
            let len = u32::from_be_bytes([
                self.pending[1],
                self.pending[2],
                self.pending[3],
                self.pending[4],
            ]) as usize;
            if self.pending.len() < len + 1 {
                return;
            }
            match kind {
                b'S' => {
                    counters.round_trips.fetch_add(1, Ordering::SeqCst);
                }
                b'Q' => {
                    counters.round_trips.fetch_add(1, Ordering::SeqCst);
                    counters.statements.fetch_add(1, Ordering::SeqCst);
                }
                b'E' => {
                    counters.statements.fetch_add(1, Ordering::SeqCst);
                }
                b'P' => {
                    counters.parses.fetch_add(1, Ordering::SeqCst);
                }
                _ => {}
            }
            self.pending.drain(..len + 1);
        }
    }
}
