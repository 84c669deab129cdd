//! The node: a [`Chain`] producing blocks on an interval (or on demand), a mempool for the
//! application's transactions, and CometBFT v0.38's JSON-RPC over HTTP ([`crate::rpc`]).
//!
//! [`Devnet::start`] runs it in-process, on its own thread with a single-threaded tokio
//! runtime: the `ferry-devnet start` binary and tests start it the same way. With
//! [`NodeConfig::block_time`] `None` blocks are produced only by [`Devnet::produce_block`].
//!
//! ```no_run
//! use ferry_devnet::node::{Devnet, NodeConfig};
//! use ferry_devnet::ChainConfig;
//!
//! let mut config = NodeConfig::new(ChainConfig::new("demo-1", &[10, 10, 10, 10]));
//! config.block_time = None; // blocks on demand
//! let devnet = Devnet::start(config)?; // 127.0.0.1 on a free port, no home: state in memory
//! devnet.produce_block()?;
//! println!("{}", devnet.url()); // http://127.0.0.1:PORT, CometBFT's RPC
//! devnet.stop();
//! # Ok::<(), ferry_devnet::Error>(())
//! ```
//!
//! # Mempool
//!
//! As CometBFT's: a transaction enters when the application's `CheckTx` gives code 0; a cache
//! of the last 10,000 hashes refuses a transaction seen before (`tx already exists in cache`),
//! including one already committed; a transaction over 1 MiB, or one more than the mempool
//! holds (5,000 transactions), is refused. Each block takes the pending transactions in
//! arrival order, up to half of `block.max_bytes`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use ferry_verifier::{PublicKey, Time};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{header, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::watch;

use crate::chain::{Chain, ChainConfig, KvApp};
use crate::db::ChainDb;
use crate::encode::tx_hash;
use crate::error::Error;
use crate::rpc::{self, methods, params::Params, Id, RpcError};

/// CometBFT's default `rpc.max_body_bytes`.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1_000_000;
/// The least a node reads of a body over the limit before answering that it is too large.
const DRAIN_MIN_BYTES: usize = 16 << 20;
/// CometBFT's default `mempool.max_tx_bytes`.
pub const DEFAULT_MAX_TX_BYTES: usize = 1_048_576;
/// CometBFT's default `mempool.size`.
pub const DEFAULT_MEMPOOL_SIZE: usize = 5_000;
/// CometBFT's default `mempool.cache_size`.
pub const MEMPOOL_CACHE_SIZE: usize = 10_000;

/// How a node runs.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// The chain (its genesis time is replaced by the stored one when `home` holds a chain).
    pub chain: ChainConfig,
    /// The home directory (the chain's database); `None`: state in memory only.
    pub home: Option<PathBuf>,
    /// The RPC address (port 0: a free port).
    pub rpc: SocketAddr,
    /// Time between blocks; `None`: blocks only on demand ([`Devnet::produce_block`]).
    pub block_time: Option<Duration>,
    /// Largest `POST` body (CometBFT's `max_body_bytes`).
    pub max_body_bytes: usize,
    /// Largest transaction.
    pub max_tx_bytes: usize,
    /// Most transactions waiting in the mempool.
    pub mempool_size: usize,
    /// How long `broadcast_tx_commit` waits for its block (CometBFT's
    /// `timeout_broadcast_tx_commit`, 10 s).
    pub broadcast_commit_timeout: Duration,
    /// The moniker in `status`.
    pub moniker: String,
}

impl NodeConfig {
    /// A node for `chain` with genesis time now, RPC on `127.0.0.1:0`, a block every second,
    /// no home, and CometBFT's default limits.
    pub fn new(mut chain: ChainConfig) -> Self {
        chain.genesis_time = system_now();
        NodeConfig {
            chain,
            home: None,
            rpc: SocketAddr::from(([127, 0, 0, 1], 0)),
            block_time: Some(Duration::from_secs(1)),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_tx_bytes: DEFAULT_MAX_TX_BYTES,
            mempool_size: DEFAULT_MEMPOOL_SIZE,
            broadcast_commit_timeout: Duration::from_secs(10),
            moniker: "ferry-devnet".into(),
        }
    }
}

/// The system clock as a [`Time`] (the Unix epoch if the clock is before it).
pub fn system_now() -> Time {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| Time::from_unix(i64::try_from(d.as_secs()).ok()?, d.subsec_nanos()).ok())
        .unwrap_or(Time::UNIX_EPOCH)
}

/// The chain and what the RPC looks up in it.
pub(crate) struct State {
    pub(crate) chain: Chain,
    /// Transaction hash -> (height, index in the block).
    pub(crate) txs: HashMap<[u8; 32], (u64, u32)>,
    /// Block hash -> height.
    pub(crate) blocks: HashMap<[u8; 32], u64>,
}

impl State {
    fn new(chain: Chain) -> Self {
        let mut state = State {
            chain,
            txs: HashMap::new(),
            blocks: HashMap::new(),
        };
        for h in 1..=state.chain.height() {
            state.index(h);
        }
        state
    }

    /// Indexes block `h`'s hash and transactions.
    fn index(&mut self, h: u64) {
        let Ok(block) = self.chain.block(h) else {
            return;
        };
        if let Ok(hash) = <[u8; 32]>::try_from(block.block_id.hash.as_bytes()) {
            self.blocks.insert(hash, h);
        }
        for (i, tx) in block.txs().iter().enumerate() {
            self.txs
                .insert(tx_hash(tx), (h, u32::try_from(i).unwrap_or(u32::MAX)));
        }
    }
}

/// Pending transactions and the cache of hashes seen.
#[derive(Default)]
pub(crate) struct Mempool {
    txs: VecDeque<Vec<u8>>,
    bytes: usize,
    cache: HashSet<[u8; 32]>,
    cache_order: VecDeque<[u8; 32]>,
}

impl Mempool {
    fn remember(&mut self, hash: [u8; 32]) -> bool {
        if !self.cache.insert(hash) {
            return false;
        }
        self.cache_order.push_back(hash);
        while self.cache_order.len() > MEMPOOL_CACHE_SIZE {
            if let Some(old) = self.cache_order.pop_front() {
                self.cache.remove(&old);
            }
        }
        true
    }

    fn forget(&mut self, hash: &[u8; 32]) {
        if self.cache.remove(hash) {
            self.cache_order.retain(|h| h != hash);
        }
    }

    /// The transactions for the next block: in arrival order, up to `max_bytes` in all.
    fn take(&mut self, max_bytes: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut total = 0usize;
        while let Some(tx) = self.txs.front() {
            if !out.is_empty() && total + tx.len() > max_bytes {
                break;
            }
            total += tx.len();
            if let Some(tx) = self.txs.pop_front() {
                out.push(tx);
            }
        }
        self.bytes -= total;
        out
    }

    fn put_back(&mut self, txs: Vec<Vec<u8>>) {
        for tx in txs.into_iter().rev() {
            self.bytes += tx.len();
            self.txs.push_front(tx);
        }
    }

    /// Pending transactions and their bytes.
    pub(crate) fn len(&self) -> (usize, usize) {
        (self.txs.len(), self.bytes)
    }
}

/// What the RPC and the block producer share.
pub(crate) struct Shared {
    state: Mutex<State>,
    mempool: Mutex<Mempool>,
    heights: watch::Sender<u64>,
    pub(crate) config: NodeConfig,
    pub(crate) node_id: String,
    pub(crate) rpc_address: String,
    /// The key `status` reports as the node's own validator (the first genesis validator).
    pub(crate) node_key: Option<PublicKey>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the chain half-changed (`produce_block`
    // changes nothing on error), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub(crate) fn mempool(&self) -> MutexGuard<'_, Mempool> {
        lock(&self.mempool)
    }

    /// A receiver told of every new height.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.heights.subscribe()
    }

    /// Produces the next block with the pending transactions, voted now. On error the
    /// transactions go back to the mempool.
    pub(crate) fn produce(&self) -> Result<u64, Error> {
        let max = usize::try_from(self.config.chain.block_max_bytes / 2)
            .ok()
            .filter(|m| *m > 0)
            .unwrap_or(usize::MAX);
        let txs = self.mempool().take(max);
        let height = {
            let mut state = self.state();
            match state.chain.produce_block(txs.clone(), system_now()) {
                Ok(b) => {
                    let h = b.height();
                    state.index(h);
                    h
                }
                Err(e) => {
                    drop(state);
                    self.mempool().put_back(txs);
                    return Err(e);
                }
            }
        };
        self.heights.send_replace(height);
        Ok(height)
    }

    /// ABCI `CheckTx` and admission to the mempool: the application's answer, or the
    /// mempool's refusal (an RPC error, as CometBFT's).
    pub(crate) fn check_and_add(&self, tx: Vec<u8>) -> Result<crate::TxResult, RpcError> {
        let max = self.config.max_tx_bytes;
        if tx.len() > max {
            return Err(RpcError::internal(format!(
                "tx too large. Max size is {max}, but got {}",
                tx.len()
            )));
        }
        let hash = tx_hash(&tx);
        {
            let mut pool = self.mempool();
            let (n, bytes) = pool.len();
            if n >= self.config.mempool_size {
                return Err(RpcError::internal(format!(
                    "mempool is full: number of txs {n} (max: {}), total txs bytes {bytes} \
                     (max: {})",
                    self.config.mempool_size,
                    self.config.mempool_size.saturating_mul(max)
                )));
            }
            if !pool.remember(hash) {
                return Err(RpcError::internal("tx already exists in cache"));
            }
        }
        let result = self.state().chain.check_tx(&tx);
        let mut pool = self.mempool();
        if result.code == 0 {
            pool.bytes += tx.len();
            pool.txs.push_back(tx);
        } else {
            pool.forget(&hash);
        }
        Ok(result)
    }
}

/// The stored genesis time of the chain in `home`, if it holds one.
fn stored_genesis_time(home: &std::path::Path) -> Result<Option<Time>, Error> {
    if !home.exists() {
        return Ok(None);
    }
    let db = ChainDb::open(home)?;
    let Some(genesis) = db.genesis()? else {
        return Ok(None);
    };
    let ts = genesis.genesis_time.unwrap_or_default();
    Time::try_from(ts).map(Some).map_err(|_| Error::Corrupt {
        what: "the stored genesis time is out of range".into(),
    })
}

/// A node running in this process (on its own thread); stopped by [`Devnet::stop`] or when
/// dropped.
pub struct Devnet {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl core::fmt::Debug for Devnet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Devnet").field("addr", &self.addr).finish()
    }
}

impl Devnet {
    /// Opens (or creates) the chain, binds the RPC address and starts serving and, with a
    /// block time, producing blocks (the first at once). Returns once the RPC accepts
    /// connections.
    pub fn start(mut config: NodeConfig) -> Result<Devnet, Error> {
        let chain = match &config.home {
            Some(home) => {
                std::fs::create_dir_all(home).map_err(|e| Error::Io {
                    action: format!("create the home directory {}", home.display()),
                    reason: e.to_string(),
                })?;
                if let Some(t) = stored_genesis_time(home)? {
                    config.chain.genesis_time = t;
                }
                Chain::open(home, config.chain.clone(), Box::new(KvApp))?
            }
            None => Chain::with_app(config.chain.clone(), Box::new(KvApp))?,
        };
        let listener = std::net::TcpListener::bind(config.rpc).map_err(|e| Error::Io {
            action: format!("listen for RPC on {}", config.rpc),
            reason: e.to_string(),
        })?;
        let io = |action: &str| {
            let action = action.to_string();
            move |e: std::io::Error| Error::Io {
                action,
                reason: e.to_string(),
            }
        };
        listener
            .set_nonblocking(true)
            .map_err(io("set the RPC socket non-blocking"))?;
        let addr = listener.local_addr().map_err(io("read the RPC address"))?;
        let node_id = {
            let digest = ferry_verifier::merkle::sha256(
                format!("ferry-devnet/node/{}", config.chain.chain_id).as_bytes(),
            );
            digest[..20].iter().map(|b| format!("{b:02x}")).collect()
        };
        let node_key = config.chain.validators.first().map(|(k, _)| k.public_key());
        let height = chain.height();
        let (heights, _) = watch::channel(height);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(chain)),
            mempool: Mutex::new(Mempool::default()),
            heights,
            node_id,
            rpc_address: format!("tcp://{addr}"),
            node_key,
            config,
        });
        let (stop, stop_rx) = watch::channel(false);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), Error>>();
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("ferry-devnet".into())
            .spawn(move || run(thread_shared, listener, stop_rx, ready_tx))
            .map_err(io("start the node thread"))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Devnet {
                shared,
                addr,
                stop,
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(Error::Io {
                    action: "start the node".into(),
                    reason: "the node thread ended before it was ready".into(),
                })
            }
        }
    }

    /// The RPC address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The RPC URL, `http://HOST:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The latest height.
    pub fn height(&self) -> u64 {
        self.shared.state().chain.height()
    }

    /// Produces a block now with the pending transactions; returns its height.
    pub fn produce_block(&self) -> Result<u64, Error> {
        self.shared.produce()
    }

    /// Runs `f` on the chain (blocks wait meanwhile). Blocks produced directly on the chain
    /// are not indexed for `tx` and `block_by_hash`: use [`Devnet::produce_block`].
    pub fn with_chain<R>(&self, f: impl FnOnce(&mut Chain) -> R) -> R {
        f(&mut self.shared.state().chain)
    }

    /// Stops serving and producing (a block being produced is finished first) and closes the
    /// chain's database.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The node thread: a current-thread runtime serving RPC and producing blocks until `stop`.
fn run(
    shared: Arc<Shared>,
    listener: std::net::TcpListener,
    stop: watch::Receiver<bool>,
    ready: std::sync::mpsc::Sender<Result<(), Error>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(Error::Io {
                action: "start the async runtime".into(),
                reason: e.to_string(),
            }));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                let _ = ready.send(Err(Error::Io {
                    action: "serve RPC".into(),
                    reason: e.to_string(),
                }));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let producer = shared
            .config
            .block_time
            .map(|every| tokio::spawn(produce_blocks(shared.clone(), every, stop.clone())));
        serve(listener, shared, stop).await;
        if let Some(p) = producer {
            let _ = p.await;
        }
    });
    // Dropping the runtime ends the connections still open.
}

/// Produces a block every `every` (the first at once) until `stop`.
async fn produce_blocks(shared: Arc<Shared>, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        let s = shared.clone();
        match tokio::task::spawn_blocking(move || s.produce()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => eprintln!("ferry-devnet: block not produced: {e}"),
            Err(_) => break,
        }
    }
}

/// Accepts connections until `stop`; each is served on its own task.
async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let s = shared.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |req| handle(s.clone(), req));
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                // Out of file descriptors and the like: wait a little, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
        }
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, content_type: Option<&str>, body: String) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Some(ct) = content_type {
        if let Ok(v) = header::HeaderValue::from_str(ct) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
    }
    let secs = system_now().unix_secs().to_string();
    if let Ok(v) = header::HeaderValue::from_str(&secs) {
        r.headers_mut().insert("x-server-time", v);
    }
    r
}

fn json_reply(status: StatusCode, body: String) -> Reply {
    reply(status, Some("application/json"), body)
}

fn too_large(reason: &str) -> Reply {
    let mut r = json_reply(
        StatusCode::BAD_REQUEST,
        rpc::envelope(
            None,
            &Err(RpcError::invalid_request(format!(
                "error reading request body: {reason}"
            ))),
        ),
    );
    r.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    r
}

fn endpoints_html(host: &str) -> String {
    let mut out = String::from("<html><body><br>Available endpoints:<br><br>");
    for (name, args) in methods::METHODS {
        let query: Vec<String> = args.iter().map(|a| format!("{a}=_")).collect();
        let link = format!("//{host}/{name}?{}", query.join("&"));
        out.push_str(&format!("<a href=\"{link}\">{link}</a></br>"));
    }
    out.push_str("</body></html>");
    out
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Reply, Infallible> {
    let path = req.uri().path().to_string();
    if path == "/" {
        if req.method() == Method::GET || req.method() == Method::HEAD {
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
                .to_string();
            return Ok(reply(
                StatusCode::OK,
                Some("text/html"),
                endpoints_html(&host),
            ));
        }
        let max = shared.config.max_body_bytes;
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        // Over the limit, the rest of the body is read and dropped (up to a bound) before the
        // answer, so that the client, still sending, reads the error instead of a reset.
        let drain_cap = max.saturating_mul(16).max(DRAIN_MIN_BYTES) as u64;
        if declared.is_some_and(|n| n > drain_cap) {
            return Ok(too_large("http: request body too large"));
        }
        let mut incoming = req.into_body();
        let mut body = Vec::new();
        let mut seen: u64 = 0;
        while let Some(frame) = incoming.frame().await {
            let frame = match frame {
                Ok(f) => f,
                Err(e) => return Ok(too_large(&e.to_string())),
            };
            if let Ok(data) = frame.into_data() {
                seen += data.len() as u64;
                if seen > drain_cap {
                    break;
                }
                if seen <= max as u64 {
                    body.extend_from_slice(&data);
                }
            }
        }
        if seen > max as u64 {
            return Ok(too_large("http: request body too large"));
        }
        return Ok(json_rpc(&shared, &body).await);
    }
    let name = path.trim_start_matches('/');
    if !methods::is_known(name) {
        return Ok(reply(
            StatusCode::NOT_FOUND,
            Some("text/plain; charset=utf-8"),
            "404 page not found\n".into(),
        ));
    }
    let outcome = match rpc::params::parse_query(req.uri().query().unwrap_or("")) {
        Ok(args) => methods::call(&shared, name, &Params::Uri(args)).await,
        Err(e) => Err(RpcError::invalid_params(true, e)),
    };
    let status = if outcome.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    Ok(json_reply(
        status,
        rpc::envelope(Some(&Id::Int(-1)), &outcome),
    ))
}

async fn json_rpc(shared: &Shared, body: &[u8]) -> Reply {
    let request = match rpc::parse_request(body) {
        Ok(r) => r,
        Err(e) => {
            return json_reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                rpc::envelope(None, &Err(e)),
            )
        }
    };
    let mut answers = Vec::new();
    for call in &request.calls {
        // Notifications are neither run nor answered.
        let Some(id) = &call.id else { continue };
        let outcome = if methods::is_known(&call.method) {
            methods::call(shared, &call.method, &call.params).await
        } else {
            Err(RpcError::method_not_found())
        };
        answers.push(rpc::envelope(Some(id), &outcome));
    }
    if answers.is_empty() {
        return reply(StatusCode::OK, None, String::new());
    }
    let body = if request.batch {
        format!("[{}]", answers.join(","))
    } else {
        answers.swap_remove(0)
    };
    json_reply(StatusCode::OK, body)
}
