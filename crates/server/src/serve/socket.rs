//! A served socket: it holds the connection's place under the caps for as long as it is
//! open (through a WebSocket upgrade too), and closes gently.
//!
//! Closing a TCP socket that still has unread bytes from the client makes Linux send a reset,
//! and a reset makes the client's kernel throw away answer bytes it has not yet handed to the
//! application. So when the server shuts its side down, it first sends FIN, then reads and
//! discards what the client still sends, until the client closes, a byte budget runs out or
//! a short time passes; only then is the socket closed.

use super::admission::Ticket;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// Longest wait for the client to close after the server has shut its side down.
const LINGER: Duration = Duration::from_secs(2);
/// Most bytes discarded while lingering.
const LINGER_BYTES: usize = 1 << 20;

/// A socket with its ticket and a lingering close.
pub struct Served<T> {
    io: T,
    _ticket: Ticket,
    closing: Option<Closing>,
}

struct Closing {
    deadline: Pin<Box<Sleep>>,
    discarded: usize,
    shut: bool,
}

impl<T> Served<T> {
    /// Wraps an accepted socket.
    pub fn new(io: T, ticket: Ticket) -> Self {
        Served { io, _ticket: ticket, closing: None }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Served<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Served<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let closing = this.closing.get_or_insert_with(|| Closing {
            deadline: Box::pin(tokio::time::sleep(LINGER)),
            discarded: 0,
            shut: false,
        });
        if !closing.shut {
            ready!(Pin::new(&mut this.io).poll_shutdown(cx))?;
            closing.shut = true;
        }
        let mut scratch = [0u8; 4096];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.io).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => {
                    closing.discarded += buf.filled().len();
                    if closing.discarded >= LINGER_BYTES {
                        return Poll::Ready(Ok(()));
                    }
                }
                // The client closed too (or the socket failed): nothing left to protect.
                Poll::Ready(_) => return Poll::Ready(Ok(())),
                Poll::Pending => {
                    return match closing.deadline.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Ok(())),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}
