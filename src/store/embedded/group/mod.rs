//! Group commit: the writes that callers queue while a transaction is committing run together in
//! the next single transaction, each inside its own `SAVEPOINT`.
//!
//! A caller queues its write and, when no other caller is leading, leads: it takes the
//! connection, drains the queue and runs every queued write in one `BEGIN IMMEDIATE … COMMIT`.
//! Callers that find a leader only wait for their answer. Each answer is sent after the `COMMIT`
//! that holds the write (a write is acknowledged only once committed, as before). A write that
//! fails (an item too big, an item that does not decode) is rolled back to its savepoint and only
//! its caller gets the error; a `COMMIT` that fails fails every write of the group. With one
//! caller at a time the group is that caller's write alone: one transaction, no savepoint, run in
//! place on the caller's thread as before.
//!
//! Where the group runs: in place when the connection is free and the database is not locked by
//! another connection (SQLite told not to wait); otherwise on tokio's blocking pool, where it
//! waits for the connection and up to [`BUSY_TIMEOUT`] for the database's lock, and takes in the
//! writes queued meanwhile. A leader never waits for more writes to arrive: a group is what was
//! queued when the leader took the connection. After a group, if writes are queued, a new
//! leader task is spawned for them and the caller goes on with its answer.

use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use handlers::store::{BoxError, StoreError};
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::Shared;
use super::db::{self, BUSY_TIMEOUT};
use super::rows::Writer;

/// A panic's payload, carried to the caller whose write panicked.
type Panic = Box<dyn Any + Send>;

/// What a caller receives: its write's result, or the panic of its write.
pub(super) type Answer<T> = Result<Result<T, StoreError>, Panic>;

/// Writes waiting for a transaction, and whether a caller is leading.
#[derive(Default)]
pub(super) struct Queue {
    state: Mutex<QueueState>,
}

#[derive(Default)]
struct QueueState {
    ops: Vec<Box<dyn Pending>>,
    leading: bool,
}

impl Queue {
    fn state(&self) -> std::sync::MutexGuard<'_, QueueState> {
        // Nothing runs user code under this lock: a poisoned state is consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take(&self) -> Vec<Box<dyn Pending>> {
        std::mem::take(&mut self.state().ops)
    }
}

/// One queued write: runs in a transaction (again if the first attempt found the database
/// locked), then answers its caller.
trait Pending: Send {
    fn operation(&self) -> &'static str;
    /// Runs the write and keeps its result; `Err` when it failed (or panicked). The items it
    /// wrote are counted in `writes`.
    fn run(&mut self, writer: &Writer<'_>) -> Result<(), Failed>;
    /// The error of the last run, if it failed with one.
    fn error(&self) -> Option<&StoreError>;
    /// Answers the caller: its own result when the group committed, or when it had failed alone;
    /// otherwise the group's error.
    fn answer(self: Box<Self>, group: Result<(), &StoreError>);
}

struct Failed {
    /// The database was locked: the whole group runs again, nothing of it is kept.
    busy: bool,
}

struct Op<T, F> {
    operation: &'static str,
    f: F,
    result: Option<Answer<T>>,
    tx: oneshot::Sender<Answer<T>>,
}

impl<T, F> Pending for Op<T, F>
where
    T: Send,
    F: FnMut(&Writer<'_>) -> Result<T, StoreError> + Send,
{
    fn operation(&self) -> &'static str {
        self.operation
    }

    fn run(&mut self, writer: &Writer<'_>) -> Result<(), Failed> {
        let f = &mut self.f;
        let result = catch_unwind(AssertUnwindSafe(|| f(writer)));
        let failed = match &result {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(Failed {
                busy: db::is_busy(e),
            }),
            Err(_) => Some(Failed { busy: false }),
        };
        self.result = Some(result);
        failed.map_or(Ok(()), Err)
    }

    fn error(&self) -> Option<&StoreError> {
        match &self.result {
            Some(Ok(Err(e))) => Some(e),
            _ => None,
        }
    }

    fn answer(self: Box<Self>, group: Result<(), &StoreError>) {
        let answer = match (self.result, group) {
            (Some(Ok(Ok(out))), Ok(())) => Ok(Ok(out)),
            (Some(Ok(Ok(_))) | None, Err(e)) => Ok(Err(copy_error(e, self.operation))),
            (Some(failed), _) => failed,
            (None, Ok(())) => unreachable!("a committed group ran every write"),
        };
        // The caller may have gone (its future dropped): its write stands all the same.
        let _ = self.tx.send(answer);
    }
}

/// Queues `f` as a write; the receiver gets its answer once the transaction holding it has
/// committed (or failed).
pub(super) fn queue<T, F>(
    shared: &Arc<Shared>,
    operation: &'static str,
    f: F,
) -> oneshot::Receiver<Answer<T>>
where
    T: Send + 'static,
    F: FnMut(&Writer<'_>) -> Result<T, StoreError> + Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let op = Box::new(Op {
        operation,
        f,
        result: None,
        tx,
    });
    let lead = {
        let mut state = shared.queue.state();
        state.ops.push(op);
        shared.queued.fetch_add(1, Ordering::Relaxed);
        !std::mem::replace(&mut state.leading, true)
    };
    if lead {
        Leadership(Some(shared.clone())).lead();
    }
    rx
}

/// The right (and duty) to run the queue: held by one caller or task at a time. Dropped
/// without [`Leadership::hand_over`] (a panic outside any write, a runtime shutting down), it
/// gives the lead up and fails the queued writes, so that no caller waits forever.
struct Leadership(Option<Arc<Shared>>);

impl Leadership {
    fn shared(&self) -> &Arc<Shared> {
        self.0.as_ref().expect("leadership is held")
    }

    /// Runs the queue in place when it can, else on the blocking pool.
    fn lead(self) {
        let shared = self.shared().clone();
        let Some(mut conn) = shared.try_lock() else {
            return self.lead_blocking(Vec::new());
        };
        let mut ops = shared.queue.take();
        match commit(&shared, &mut conn, &mut ops, Duration::ZERO) {
            Done::Answered => {
                drop(conn);
                self.hand_over();
            }
            Done::Busy => {
                drop(conn);
                self.lead_blocking(ops);
            }
        }
    }

    /// Runs `ops` and the writes queued meanwhile on the blocking pool, waiting for the
    /// connection and for the database's lock.
    fn lead_blocking(self, mut ops: Vec<Box<dyn Pending>>) {
        tokio::task::spawn_blocking(move || {
            let shared = self.shared().clone();
            let mut conn = shared.lock();
            ops.append(&mut shared.queue.take());
            if !ops.is_empty() {
                commit(&shared, &mut conn, &mut ops, BUSY_TIMEOUT);
            }
            drop(conn);
            self.hand_over();
        });
    }

    /// Gives the lead up when the queue is empty, else passes it to a new task (so this caller
    /// goes on with its own answer).
    fn hand_over(mut self) {
        let shared = self.0.take().expect("leadership is held");
        {
            let mut state = shared.queue.state();
            if state.ops.is_empty() {
                state.leading = false;
                return;
            }
        }
        tokio::spawn(async move { Leadership(Some(shared)).lead() });
    }
}

impl Drop for Leadership {
    fn drop(&mut self) {
        if let Some(shared) = self.0.take() {
            let ops = {
                let mut state = shared.queue.state();
                state.leading = false;
                std::mem::take(&mut state.ops)
            };
            // Their senders are dropped: each caller gets `Unavailable`.
            drop(ops);
        }
    }
}

enum Done {
    /// Every write was answered.
    Answered,
    /// The database was locked (in place, with no wait): nothing was kept or answered.
    Busy,
}

/// Runs `ops` in one transaction and answers them, unless the database was locked and
/// `busy_timeout` is zero (the caller then runs them again, waiting).
fn commit(
    shared: &Shared,
    conn: &mut Connection,
    ops: &mut Vec<Box<dyn Pending>>,
    busy_timeout: Duration,
) -> Done {
    let in_place = busy_timeout.is_zero();
    let sql = |conn: &Connection, sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute([]))
            .map_err(|e| db::store_error("commit", e))
    };
    let rollback = |conn: &Connection| {
        if !conn.is_autocommit() {
            // A failed rollback leaves the transaction to the next group's check below.
            let _ = sql(conn, "ROLLBACK");
        }
    };
    let fail_all = |ops: &mut Vec<Box<dyn Pending>>, e: &StoreError| {
        for op in ops.drain(..) {
            op.answer(Err(e));
        }
        Done::Answered
    };
    let started = conn
        .busy_timeout(busy_timeout)
        .map_err(|e| db::store_error("busy_timeout", e))
        .and_then(|()| {
            if !conn.is_autocommit() {
                // A transaction left open (a failed rollback): roll it back.
                sql(conn, "ROLLBACK")?;
            }
            sql(conn, "BEGIN IMMEDIATE")
        });
    match started {
        Err(e) if in_place && db::is_busy(&e) => return Done::Busy,
        Err(e) => return fail_all(ops, &e),
        Ok(_) => {}
    }
    // One write alone needs no savepoint: its failure rolls the transaction back.
    let alone = ops.len() == 1;
    let mut committed_writes = 0;
    let mut succeeded = 0;
    for i in 0..ops.len() {
        if !alone && let Err(e) = sql(conn, "SAVEPOINT op") {
            rollback(conn);
            return fail_all(ops, &e);
        }
        let writes = Cell::new(0);
        let writer = Writer {
            conn,
            writes: &writes,
            operation: ops[i].operation(),
        };
        match ops[i].run(&writer) {
            Ok(()) => {
                if !alone && let Err(e) = sql(conn, "RELEASE op") {
                    rollback(conn);
                    return fail_all(ops, &e);
                }
                committed_writes += writes.get();
                succeeded += 1;
            }
            Err(Failed { busy: true }) if in_place => {
                rollback(conn);
                return Done::Busy;
            }
            Err(Failed { busy }) => {
                if busy || conn.is_autocommit() {
                    // The database was locked past the timeout, or SQLite ended the transaction
                    // (a full disk, an I/O error): nothing of the group is kept.
                    rollback(conn);
                    let e = match ops[i].error() {
                        Some(e) => copy_error(e, "commit"),
                        None => StoreError::Unavailable {
                            operation: "commit",
                            source: "the transaction ended with a panicking write".into(),
                        },
                    };
                    return fail_all(ops, &e);
                }
                if !alone
                    && let Err(e) =
                        sql(conn, "ROLLBACK TO op").and_then(|_| sql(conn, "RELEASE op"))
                {
                    rollback(conn);
                    return fail_all(ops, &e);
                }
            }
        }
    }
    let ended = if succeeded == 0 {
        // Nothing to keep.
        sql(conn, "ROLLBACK")
    } else {
        sql(conn, "COMMIT")
    };
    match ended {
        Err(e) if in_place && db::is_busy(&e) => {
            rollback(conn);
            Done::Busy
        }
        Err(e) => {
            rollback(conn);
            fail_all(ops, &e)
        }
        Ok(_) => {
            if succeeded > 0 {
                shared.transactions.fetch_add(1, Ordering::Relaxed);
                shared.calls.fetch_add(ops.len() as u64, Ordering::Relaxed);
                shared.writes.fetch_add(committed_writes, Ordering::Relaxed);
            }
            for op in ops.drain(..) {
                op.answer(Ok(()));
            }
            Done::Answered
        }
    }
}

/// The group's error, for one of its writes.
fn copy_error(e: &StoreError, operation: &'static str) -> StoreError {
    let source = |source: &(dyn std::error::Error + Send + Sync + 'static)| -> BoxError {
        match source.downcast_ref::<rusqlite::Error>() {
            Some(rusqlite::Error::SqliteFailure(code, message)) => {
                Box::new(rusqlite::Error::SqliteFailure(*code, message.clone()))
            }
            _ => source.to_string().into(),
        }
    };
    match e {
        StoreError::Unavailable { source: s, .. } => StoreError::Unavailable {
            operation,
            source: source(s.as_ref()),
        },
        StoreError::Rejected { source: s, .. } => StoreError::Rejected {
            operation,
            source: source(s.as_ref()),
        },
        StoreError::Fault { source: s, .. } => StoreError::Fault {
            operation,
            source: source(s.as_ref()),
        },
        StoreError::BadCursor(reason) => StoreError::BadCursor(reason.clone()),
        StoreError::Corrupt { pk, reason } => StoreError::Corrupt {
            pk: pk.clone(),
            reason: reason.clone(),
        },
    }
}

#[cfg(test)]
mod tests;
