//! # engine: `sql::storage::Storage` over B-link trees and MVCC by LSN
//!
//! [`Engine`] is the real storage under [`sql::Session`]: tables are
//! [`crate::mvcc::VersionedTree`]s clustered on the primary key (or a hidden row id), each
//! secondary index a [`crate::index::SecondaryIndex`], the catalog itself a versioned tree
//! ([`catalog`]), all on 8 KiB pages in the [`pages::PageTable`]. Every relation has its own
//! `RelId` (never reused), and a page's key is `(rel, block)`.
//!
//! | module          | owns                                                               |
//! |-----------------|--------------------------------------------------------------------|
//! | [`pages`]       | latest page versions; the serial step's copy-on-write overlay      |
//! | [`catalog`]     | table/index definitions as catalog rows, and their cache           |
//! | [`codec`]       | SQL values ⇄ stored rows and memcmp keys                           |
//! | [`write_set`]   | a transaction's private, statement-tagged writes and DDL           |
//! | [`locks`]       | table/row/key/name locks, waits, deadlock detection (40P01)        |
//! | [`advisory`]    | sessions' advisory locks (counted) over the lock table             |
//! | [`txn`]         | [`EngineTxn`]: the `sql::storage::Txn` contract                    |
//! | [`scan`]        | merging the write set with the trees at a snapshot                 |
//! | [`sample`]      | ANALYZE's sample: rows counted, only the kept ones decoded         |
//! | [`prepare`]     | the prepare phase: fetch and pin a commit's pages before the mutex |
//! | [`commit`]      | the serial step: write set → pages → WAL record(s)                 |
//! | [`horizon`]     | snapshots in use: the prune and reuse horizons                     |
//! | [`space`]       | pruning, sweeping and merging in each record; freed-block reuse    |
//! | [`tombstone`]   | `DropRelation` records for the relations a DROP frees              |
//! | [`ddl`]         | the DDL methods of [`EngineTxn`]                                   |
//! | [`build`]       | relations built ahead of the commit (CREATE INDEX, rewrites)       |
//! | [`load`]        | a transaction's rows into relations it created, built ahead        |
//! | [`records`]     | a commit's WAL records: diff, layout, emit                         |
//! | [`sequences`]   | sequence values reserved ahead in small records; relation sizes    |
//! | [`wal_sink`]    | where records go ([`WalSink`], [`MemoryWalSink`])                      |
//! | [`proposer_wal`]| [`ProposerWal`]: records durable on a quorum of safekeepers       |
//! | [`serving`]     | durability waits for what was observed; 08006; the engine's stop   |
//! | [`replica`]     | a read replica: committed records applied to cached pages; 25006   |
//!
//! ## MVCC by LSN
//! The WAL sink reports a durable LSN, always a record boundary. A statement reads at
//! snapshot `S` = the durable LSN when it begins (Read Committed) or when the transaction's
//! first statement began (Repeatable Read), capped at the end of the last record whose pages
//! are published (a sink may call a record durable before the serial step has published
//! it; the catalog-changed LSN is raised before publishing for the same reason). A version
//! written by a record starting at `L` has `created = L` (or `deleted = L`) and is visible
//! at `S` iff `created < S <= deleted`. Because `S` never passes the durable LSN and every
//! not-yet-durable record starts at or after it, pages may hold versions of records still
//! waiting for durability: no snapshot can see them. Readers take no locks and never block.
//!
//! ## A write, step by step: `UPDATE t SET v = v + 1 WHERE id = 7`
//! 1. `Session` calls `EngineTxn::begin_statement` (statement number `n`, fresh snapshot
//!    `S` under Read Committed), then the executor calls `EngineTxn::scan`: the table's
//!    tree is read at `S` ([`scan`]) and merged with the write set's entries of statements
//!    `< n`, streamed in batches; own writes are copied at the call, so the stream is
//!    detached from later writes.
//! 2. `lock_row(t, [7])` takes the table lock shared and the row lock `(t, key)` exclusive
//!    ([`locks::LockManager`], waiting for another writer; a cycle → 40P01), then reads the
//!    *latest* applied version (`Lsn::MAX` snapshot): unchanged since `S` → `Unchanged`; newer
//!    → `Changed` under Read Committed (the executor re-checks its WHERE: EvalPlanQual) or
//!    40001 under Repeatable Read; gone → `Deleted`. A version newer than `S` may not be
//!    durable yet: the transaction notes its record's end, and the statement's reply waits
//!    for it ([`serving`]).
//! 3. `update` records `(n, Some(row))` under the encoded key in the [`write_set`].
//! 4. `commit` runs the serial step (`commit::apply`) under the engine's commit mutex: the
//!    record's start LSN `L` is the WAL's end; the write set is applied to copy-on-write
//!    pages ([`pages::Overlay`]): `VersionedTree::update(key, row, L)` and the index entries'
//!    deletes/inserts at `L`; every changed page is diffed against its previous version
//!    (`proto::redo::diff`), the record's end `E = L + framed length` is computed, each
//!    change's CRC is set for `page_lsn = E` and replayed through `proto::redo::apply` as a
//!    self-check; the record goes to the [`WalSink`] and the redo'd pages are published in
//!    B-link order (new pages, leaves, parents). Locks and the mutex are released; then the
//!    commit waits until the sink's durable LSN reaches `E` before returning `Ok` (a failed
//!    wait: the outcome is unknown, 08006, and the engine stops serving — [`serving`]).
//!
//! ## A read, step by step: `SELECT v FROM t WHERE id = 7`
//! `begin_statement` takes `S`; the catalog for `S` comes from the cache (or the catalog
//! tree read at `S`); `scan(t, PrimaryRange([7]))` descends the table's B-link tree from
//! block 0 through `Arc` page versions of the [`pages::PageTable`], walks key 7's versions
//! newest first and returns the one visible at `S`, merged with the transaction's own
//! earlier writes. No lock, no wait.
//!
//! ## Where pages come from
//! [`pages::PageTable`] is all-resident ([`PageTable::new`], tests and WAL replay) or cached
//! ([`PageTable::cached`] over a [`crate::page_cache::PageCache`]: dirty-page table, moka
//! bounded in bytes, GetPages misses with read-ahead). [`Engine::start`] takes either and
//! bootstraps the catalog when its first block was never written (a brand-new timeline).
//! A commit's prepare phase ([`prepare`]) fetches and pins, before the commit mutex, the
//! pages its serial step will read; the serial step itself never waits on the pageserver
//! (a miss sends the commit back to prepare). A full dirty-page table makes commits wait
//! before the commit mutex.
//!
//! ## Not yet here
//! Dropping a dropped relation's pages from this compute's page table (storage reclaims
//! them: [`tombstone`]).

pub mod advisory;
pub mod append;
pub mod build;
pub mod catalog;
pub mod codec;
pub mod commit;
pub mod ddl;
pub mod horizon;
pub mod load;
pub mod locks;
pub mod pages;
pub mod prepare;
pub mod proposer_wal;
pub mod records;
pub mod rekey;
pub mod replica;
pub mod sample;
pub mod scan;
pub mod sequences;
pub mod serving;
pub mod space;
pub mod tombstone;
pub mod tree_reader;
pub mod txn;
pub mod wal_sink;
pub mod write_set;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use proto::Lsn;
use sql::storage::{Isolation, Storage, TableId};
use tokio_util::sync::CancellationToken;

use crate::btree::Limits;
pub use catalog::{CATALOG_REL, EngineCatalog, TableEntry};
pub use locks::{LockManager, LockMode, LockTarget};
pub use pages::PageTable;
pub use proposer_wal::ProposerWal;
pub use txn::EngineTxn;
pub use wal_sink::{MemoryWalSink, WalError, WalSink};

use catalog::CachedCatalog;
use pages::RelPages;
use serving::Observed;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// B-tree node limits of user tables and indexes (tests use small nodes to get deep
    /// trees); the catalog always uses whole pages.
    pub limits: Limits,
    /// Largest write set, in approximate bytes, before a statement fails with 54000
    /// ("transaction write set exceeds N bytes").
    pub write_set_limit: usize,
    /// A commit whose record would be larger writes the pages it allocated ahead, in
    /// records of at most this many bytes, before the commit record that links them in.
    pub record_split_bytes: usize,
    /// Largest record of any kind (at most proto's 1 GiB decoder limit); a commit record
    /// over it fails with 54000 and writes nothing.
    pub max_record_bytes: usize,
    /// Bound on any single lock wait (`None`: until granted or deadlocked).
    pub lock_timeout: Option<Duration>,
    /// Never prune old row versions, sweep, merge or reuse blocks ([`space`]): every
    /// record boundary stays readable from resident pages. For tests that time-travel
    /// without a pageserver; the table then grows with every update.
    pub keep_history: bool,
    /// Leaves of each relation a record writes that its sweep also visits ([`space`]).
    pub sweep_leaves: usize,
    /// A transaction that wrote at least this many rows to a table whose relations it
    /// created (CREATE TABLE or TRUNCATE) builds them ahead of its commit ([`load`]).
    pub bulk_load_rows: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            limits: Limits::FULL_PAGE,
            // Large enough for a bulk load in one transaction (`pgbench -i -s 10` COPYs a
            // million accounts, ~150 MB of write set); the write set lives in memory.
            write_set_limit: 1 << 30,
            record_split_bytes: 8 << 20,
            max_record_bytes: proto::decoder::DEFAULT_MAX_RECORD_SIZE,
            lock_timeout: None,
            keep_history: false,
            sweep_leaves: 2,
            bulk_load_rows: 1000,
        }
    }
}

/// State only the serial step changes (under the engine's commit mutex).
pub struct CommitState {
    /// Where the next record starts.
    pub wal_end: Lsn,
    /// The catalog as of the latest applied record.
    pub latest: Arc<EngineCatalog>,
    /// Hidden row ids per table: `(next to assign, reserved up to)`, learned from the
    /// catalog's reservation row on first use.
    pub row_ids: HashMap<TableId, (i64, i64)>,
    /// Where each relation's sweep goes on ([`space`]).
    pub(crate) sweep: space::SweepCursors,
    /// The RelId counter as durably stored: relations below it may have pages in the WAL
    /// (a build ahead of a commit reserves its RelId first, see [`build`]).
    pub reserved_rel: u32,
}

/// Everything transactions share.
pub struct EngineState {
    pub(crate) pages: Arc<PageTable>,
    pub(crate) wal: Arc<dyn WalSink>,
    pub(crate) locks: LockManager,
    /// The sessions' advisory lock counts (held in `locks`).
    pub(crate) advisory: advisory::AdvisoryLocks,
    pub(crate) config: EngineConfig,
    pub(crate) commit: Mutex<CommitState>,
    pub(crate) commit_stats: prepare::CommitStats,
    catalog_cache: Mutex<Option<CachedCatalog>>,
    /// End LSN of the latest catalog-changing record (any snapshot at or past it sees the
    /// latest catalog).
    catalog_changed_end: AtomicU64,
    pub(crate) next_rel: AtomicU32,
    pub(crate) next_oid: AtomicU32,
    next_txn: AtomicU64,
    /// Sequence values handed out and reserved ([`sequences`]).
    pub(crate) sequences: sequences::SequenceState,
    /// End of the last record whose pages are published. A snapshot must not pass it:
    /// the sink may report a record durable before the serial step has published it.
    applied_lsn: AtomicU64,
    /// Snapshots in use: the prune horizon ([`horizon`]).
    pub(crate) snapshots: Arc<horizon::Snapshots>,
    /// Fixed snapshots reading the latest pages without holding the prune horizon, by
    /// the applied LSN when they began: they hold the reuse horizon ([`horizon`]).
    pub(crate) readers: Arc<horizon::Snapshots>,
    /// Whether the engine still serves ([`serving`]).
    stop: serving::Stop,
    /// `Some(why)` on a read replica ([`replica`]): every write is refused with 25006.
    pub(crate) read_only: Option<String>,
    /// Per-table activity counters (`pg_stat_user_tables`), for this process's life.
    pub(crate) table_activity: Arc<sql::system::table_stats::TableActivity>,
    /// The serializable transactions' registry (`sql::storage::serializable`).
    pub(crate) serial: Arc<sql::storage::serializable::SerialRegistry>,
}

impl EngineState {
    pub(crate) fn commit_state(&self) -> MutexGuard<'_, CommitState> {
        // The serial step mutates the state only after the record is submitted, with plain
        // assignments; a panic before that leaves it as it was.
        self.commit.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn rel_pages(&self, rel: proto::RelId) -> RelPages {
        RelPages::new(self.pages.clone(), rel)
    }

    /// [`EngineState::rel_pages`] for a range scan: misses read ahead the following blocks.
    pub(crate) fn rel_pages_scan(&self, rel: proto::RelId) -> RelPages {
        let mut p = self.rel_pages(rel);
        p.readahead = self.pages.cache().map_or(0, |c| c.config().readahead);
        p
    }

    /// The catalog visible at `snapshot`, from the cache when it is valid there.
    pub(crate) fn catalog_at(&self, snapshot: Lsn) -> sql::Result<CachedCatalog> {
        let changed = Lsn(self.catalog_changed_end.load(Ordering::SeqCst));
        let mut cache = self.catalog_cache.lock().unwrap_or_else(|p| p.into_inner());
        if snapshot >= changed
            && let Some(c) = cache.as_ref().filter(|c| c.valid_from == changed)
        {
            return Ok(c.clone());
        }
        let catalog = match catalog::read(self.rel_pages(CATALOG_REL), Limits::FULL_PAGE, snapshot)
        {
            // A catalog leaf was pruned past this (old) snapshot: read it as of the
            // snapshot from the pageserver.
            Err(crate::Error::NeedsOldSnapshot { .. }) if self.pages.cache().is_some() => {
                let old = RelPages::at(self.pages.clone(), CATALOG_REL, snapshot);
                catalog::read(old, Limits::FULL_PAGE, snapshot)
            }
            r => r,
        }
        .map_err(storage_error)?;
        let c = CachedCatalog {
            valid_from: changed,
            sql: Arc::new(catalog.to_sql()),
            catalog: Arc::new(catalog),
        };
        if snapshot >= changed {
            *cache = Some(c.clone());
        }
        Ok(c)
    }

    pub(crate) fn note_catalog_change(&self, end: Lsn) {
        self.catalog_changed_end.store(end.0, Ordering::SeqCst);
    }

    pub(crate) fn note_applied(&self, end: Lsn) {
        self.applied_lsn.store(end.0, Ordering::SeqCst);
    }

    /// End of the last record whose pages are published: what a read of the latest
    /// state may have seen.
    pub(crate) fn applied_lsn(&self) -> Lsn {
        Lsn(self.applied_lsn.load(Ordering::SeqCst))
    }

    /// End of the latest catalog-changing record.
    pub(crate) fn catalog_changed_lsn(&self) -> Lsn {
        Lsn(self.catalog_changed_end.load(Ordering::SeqCst))
    }

    /// The snapshot a statement beginning now reads at: the durable LSN, but never past
    /// the last published record (both are record boundaries).
    pub(crate) fn snapshot_lsn(&self) -> Lsn {
        let applied = Lsn(self.applied_lsn.load(Ordering::SeqCst));
        self.wal.durable_lsn().min(applied)
    }

    /// The prune horizon: no reader that needs the latest pages reads below it.
    pub(crate) fn prune_horizon(&self) -> Lsn {
        self.snapshots.horizon(|| self.snapshot_lsn())
    }

    /// The reuse horizon: every reader of the latest pages began after every record that
    /// started below it, so blocks those records freed may be handed out again
    /// ([`horizon`], [`crate::btree::freelist`]).
    pub(crate) fn reuse_horizon(&self) -> Lsn {
        let prune = self.prune_horizon();
        self.readers.oldest().map_or(prune, |r| r.min(prune))
    }
}

/// The storage engine. Cloning shares it — including the session cell of what its
/// transactions observed ([`Engine::settle`]); [`Engine::for_session`] makes a handle with
/// its own.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<EngineState>,
    observed: Arc<Observed>,
}

impl Engine {
    /// A new, empty database: writes the bootstrap record (the empty catalog tree) to `wal`
    /// and waits for it to be durable.
    pub fn create(wal: Arc<dyn WalSink>, config: EngineConfig) -> sql::Result<Engine> {
        let engine = Self::with_pages(Arc::new(PageTable::new()), wal, config, None)?;
        let end = commit::bootstrap(&engine.shared)?;
        engine.shared.wal.wait_durable(end).map_err(wal_error)?;
        Ok(engine)
    }

    /// An engine over existing pages (e.g. replayed from a WAL): the schema is read from the
    /// catalog tree in them; new records go to `wal` from its end.
    pub fn open(
        pages: Arc<PageTable>,
        wal: Arc<dyn WalSink>,
        config: EngineConfig,
    ) -> sql::Result<Engine> {
        let latest = catalog::read(
            RelPages::new(pages.clone(), CATALOG_REL),
            Limits::FULL_PAGE,
            Lsn::MAX,
        )
        .map_err(storage_error)?;
        Self::with_pages(pages, wal, config, Some(latest))
    }

    /// An engine over `pages` (resident or cached — [`PageTable::cached`]) that may be
    /// brand new: if the catalog relation has no pages yet (a new timeline: the pageserver
    /// answers "never written"), writes the bootstrap record like [`Engine::create`];
    /// otherwise reads the schema like [`Engine::open`].
    pub fn start(
        pages: Arc<PageTable>,
        wal: Arc<dyn WalSink>,
        config: EngineConfig,
    ) -> sql::Result<Engine> {
        if let Some(cache) = pages.cache() {
            cache.advance_latest(wal.end_lsn());
        }
        if pages.try_block_count(CATALOG_REL).map_err(storage_error)? > 0 {
            return Self::open(pages, wal, config);
        }
        let engine = Self::with_pages(pages, wal, config, None)?;
        let end = commit::bootstrap(&engine.shared)?;
        engine.shared.wal.wait_durable(end).map_err(wal_error)?;
        Ok(engine)
    }

    fn with_pages(
        pages: Arc<PageTable>,
        wal: Arc<dyn WalSink>,
        config: EngineConfig,
        latest: Option<EngineCatalog>,
    ) -> sql::Result<Engine> {
        Self::build(pages, wal, config, latest, None)
    }

    fn build(
        pages: Arc<PageTable>,
        wal: Arc<dyn WalSink>,
        config: EngineConfig,
        latest: Option<EngineCatalog>,
        read_only: Option<String>,
    ) -> sql::Result<Engine> {
        let latest = latest.unwrap_or_default();
        let wal_end = wal.end_lsn();
        let shared = EngineState {
            pages,
            locks: LockManager::new(config.lock_timeout),
            advisory: advisory::AdvisoryLocks::default(),
            serial: Arc::default(),
            next_rel: AtomicU32::new(latest.next_rel),
            next_oid: AtomicU32::new(latest.next_oid),
            sequences: sequences::SequenceState::default(),
            commit: Mutex::new(CommitState {
                wal_end,
                reserved_rel: latest.next_rel,
                latest: Arc::new(latest),
                row_ids: HashMap::new(),
                sweep: Default::default(),
            }),
            commit_stats: prepare::CommitStats::default(),
            catalog_cache: Mutex::new(None),
            catalog_changed_end: AtomicU64::new(wal.durable_lsn().0),
            next_txn: AtomicU64::new(1),
            applied_lsn: AtomicU64::new(wal_end.0),
            snapshots: horizon::Snapshots::new(),
            readers: horizon::Snapshots::new(),
            stop: serving::Stop::new(wal.stopping()),
            read_only,
            table_activity: Default::default(),
            wal,
            config,
        };
        Ok(Engine {
            shared: Arc::new(shared),
            observed: Observed::new(),
        })
    }

    /// A handle on the same engine for one client session: its own cell of what its
    /// transactions observed beyond their snapshots ([`Engine::settle`]).
    pub fn for_session(&self) -> Engine {
        Engine {
            shared: self.shared.clone(),
            observed: Observed::new(),
        }
    }

    /// Blocks until every version this handle's transactions observed beyond their
    /// snapshots (unique checks, `lock_row`, …) is durable: called before every reply to
    /// the client, so no client learns of a commit that could still be lost ([`serving`]).
    /// Free when nothing newer than a snapshot was observed. A failed wait stops the
    /// engine and is 08006: what was observed may or may not have been committed.
    pub fn settle(&self) -> sql::Result<()> {
        self.shared.settle(&self.observed)
    }

    /// Why this engine stopped serving, once it has: a durability wait failed (outcome
    /// unknown), or the WAL sink stopped for good (a newer primary fenced it). A stopped
    /// engine refuses every statement; the compute must be rebuilt.
    pub fn stopped(&self) -> Option<String> {
        self.shared.stopped()
    }

    /// Cancelled when the engine stops serving (see [`Engine::stopped`]).
    pub fn stopping(&self) -> CancellationToken {
        self.shared.stop.token()
    }

    /// How many times a reply or read-only commit blocked until versions it observed
    /// beyond its snapshot were durable.
    pub fn observed_waits(&self) -> u64 {
        self.shared.stop.observed_waits()
    }

    /// The page table (latest applied page versions).
    pub fn pages(&self) -> Arc<PageTable> {
        self.shared.pages.clone()
    }

    /// The snapshot a statement beginning now reads at: the durable LSN (capped at the
    /// last published record).
    pub fn durable_lsn(&self) -> Lsn {
        self.shared.snapshot_lsn()
    }

    /// Counters of the commit path: pages fetched by prepare phases and by serial steps,
    /// prepare retries, records written ahead of large commits.
    pub fn commit_stats(&self) -> prepare::CommitCounters {
        self.shared.commit_stats.read()
    }

    /// The prune horizon now: the oldest snapshot a reader of the latest pages holds
    /// ([`horizon`]).
    pub fn prune_horizon(&self) -> Lsn {
        self.shared.prune_horizon()
    }

    /// The reuse horizon now: blocks freed by records that started before it may be
    /// handed out again ([`horizon`]).
    pub fn reuse_horizon(&self) -> Lsn {
        self.shared.reuse_horizon()
    }

    /// Space maintenance as a record of its own ([`space`]): every relation of the latest
    /// catalog has up to `leaves_per_relation` more leaves swept from where its sweep
    /// stopped (pruned at the prune horizon) and its under-full nodes merged. For
    /// relations no commit writes any more (a compute server runs it periodically:
    /// [`crate::sweeper`]).
    /// Returns the record's end (`Lsn::INVALID` if nothing changed).
    pub fn sweep(&self, leaves_per_relation: usize) -> sql::Result<Lsn> {
        commit::sweep(&self.shared, leaves_per_relation)
    }

    /// The latest applied catalog (tests and tools look up relations' RelIds in it).
    pub fn latest_catalog(&self) -> Arc<EngineCatalog> {
        self.shared.commit_state().latest.clone()
    }

    /// The lock manager (tests watch its waiters).
    pub fn locks(&self) -> &LockManager {
        &self.shared.locks
    }

    /// A read-only-style transaction whose every statement reads at `snapshot` (a record
    /// boundary at or before the durable LSN): time travel. With a pageserver behind the
    /// pages (cached mode) it does not hold the prune horizon: leaves pruned past it are
    /// re-read as of `snapshot` from the pageserver. Resident pages keep no history, so
    /// there it holds the horizon like any transaction (and a snapshot older than pages
    /// already pruned fails to read them).
    pub fn begin_at(&self, snapshot: Lsn) -> EngineTxn {
        EngineTxn::new(
            self.shared.clone(),
            self.observed.clone(),
            self.next_txn_id(),
            Isolation::RepeatableRead,
            Some(snapshot),
        )
    }

    fn next_txn_id(&self) -> u64 {
        self.shared.next_txn.fetch_add(1, Ordering::Relaxed)
    }
}

impl Storage for Engine {
    type Txn = EngineTxn;

    fn begin(&self, isolation: Isolation) -> sql::Result<EngineTxn> {
        Ok(EngineTxn::new(
            self.shared.clone(),
            self.observed.clone(),
            self.next_txn_id(),
            isolation,
            None,
        ))
    }

    fn services(&self) -> Arc<dyn sql::storage::Services> {
        Arc::new(sequences::EngineServices {
            shared: self.shared.clone(),
        })
    }
}

/// Maps a storage-core error to the SQL error the session reports.
pub(crate) fn storage_error(e: crate::Error) -> sql::Error {
    use crate::Error as E;
    match e {
        E::RowTooLarge { .. } | E::KeyTooLarge { .. } => program_limit_exceeded(e.to_string()),
        E::Corrupt { .. } | E::Decode { .. } => data_corrupted(e.to_string()),
        E::PageUnavailable { .. } => sql::Error::StorageUnavailable(e.to_string()),
        E::SnapshotTooOld { .. } => sql::Error::SnapshotTooOld(format!(
            "{e}; the pageserver keeps history for its PITR window (and what leases hold). \
             Retry in a new transaction."
        )),
        E::KeyNotFound | E::DuplicateKey => {
            sql::Error::SerializationFailure(format!("could not serialize access: {e}"))
        }
        other => sql::Error::Internal(other.to_string()),
    }
}

/// A 54000 error (program_limit_exceeded).
pub(crate) fn program_limit_exceeded(msg: String) -> sql::Error {
    sql::Error::ProgramLimitExceeded(msg)
}

/// An XX001 error (data_corrupted), logged here: the session only reports it.
pub(crate) fn data_corrupted(msg: String) -> sql::Error {
    tracing::error!(error = %msg, "data corrupted");
    sql::Error::DataCorrupted(msg)
}

pub(crate) fn wal_error(e: WalError) -> sql::Error {
    match e {
        WalError::ReadOnly(msg) => sql::Error::ReadOnlySqlTransaction(msg),
        other => sql::Error::Internal(other.to_string()),
    }
}
