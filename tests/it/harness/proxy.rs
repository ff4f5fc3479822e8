//! A loopback TCP proxy a test can cut: the way to make a server (the S3 test server)
//! unreachable for a while without stopping it, so it keeps its state.
//!
//! [`Proxy::start`] listens on a free loopback port and forwards every connection to
//! `target`, two threads per connection (one per direction). [`Proxy::cut`] breaks every
//! open connection and, until [`Proxy::heal`], treats new ones as the chosen [`Cut`] says:
//! closed at once (a server that is down) or accepted and never answered (a network that
//! drops packets: the client's own timeouts must fire). Nothing here is async, so it works
//! the same whatever runtime the test uses; dropping the proxy stops it.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a cut proxy treats new connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// Accepted and closed at once: the server is down.
    Refuse,
    /// Accepted and never answered until healed: packets are dropped.
    Blackhole,
}

#[derive(Default)]
struct State {
    cut: Mutex<Option<Cut>>,
    /// Both ends of every open forwarded connection, and every blackholed one, by id.
    open: Mutex<HashMap<u64, Vec<TcpStream>>>,
    next_id: AtomicU64,
    stopped: AtomicBool,
}

impl State {
    fn register(&self, streams: Vec<TcpStream>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.open.lock().expect("proxy lock").insert(id, streams);
        id
    }

    fn close(&self, id: u64) {
        let streams = self.open.lock().expect("proxy lock").remove(&id);
        for s in streams.into_iter().flatten() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn close_all(&self) {
        let all: Vec<_> = self.open.lock().expect("proxy lock").drain().collect();
        for s in all.into_iter().flat_map(|(_, v)| v) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// A running proxy; see the module docs.
pub struct Proxy {
    pub addr: SocketAddr,
    state: Arc<State>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    /// Forwards a free loopback port to `target`.
    pub fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("bound address");
        let state = Arc::new(State::default());
        let st = state.clone();
        let accept = std::thread::Builder::new()
            .name("test-proxy".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if st.stopped.load(Ordering::Acquire) {
                        return;
                    }
                    let Ok(client) = conn else { continue };
                    let cut = *st.cut.lock().expect("proxy lock");
                    match cut {
                        Some(Cut::Refuse) => drop(client),
                        Some(Cut::Blackhole) => {
                            st.register(vec![client]);
                        }
                        None => forward(client, target, &st),
                    }
                }
            })
            .expect("spawn the proxy thread");
        println!("proxy: 127.0.0.1:{} -> {target}", addr.port());
        Proxy {
            addr,
            state,
            accept: Some(accept),
        }
    }

    /// Breaks every open connection; new ones get `how` until [`Proxy::heal`].
    pub fn cut(&self, how: Cut) {
        *self.state.cut.lock().expect("proxy lock") = Some(how);
        self.state.close_all();
        println!("proxy {}: cut ({how:?})", self.addr);
    }

    /// Forwards new connections again (blackholed ones are closed).
    pub fn heal(&self) {
        *self.state.cut.lock().expect("proxy lock") = None;
        self.state.close_all();
        println!("proxy {}: healed", self.addr);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.stopped.store(true, Ordering::Release);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        self.state.close_all();
    }
}

/// Connects to `target` and copies both ways on two threads.
fn forward(client: TcpStream, target: SocketAddr, st: &Arc<State>) {
    let Ok(server) = TcpStream::connect_timeout(&target, Duration::from_secs(5)) else {
        return;
    };
    let _ = (client.set_nodelay(true), server.set_nodelay(true));
    let clones = || -> std::io::Result<_> {
        Ok((
            client.try_clone()?,
            server.try_clone()?,
            client.try_clone()?,
            server.try_clone()?,
        ))
    };
    let Ok((c2, s2, c3, s3)) = clones() else {
        return;
    };
    let id = st.register(vec![c3, s3]);
    for (from, to) in [(client, server), (s2, c2)] {
        let st = st.clone();
        let _ = std::thread::Builder::new()
            .name("test-proxy-copy".into())
            .spawn(move || {
                copy(from, to);
                st.close(id);
            });
    }
}

/// Copies until either side closes or fails.
fn copy(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 << 10];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}
