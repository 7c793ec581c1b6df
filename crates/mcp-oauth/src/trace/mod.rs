//! The structure of a `--trace`: steps (probe, resource metadata, registration, token
//! request, ...) with an outcome and an elapsed time, the HTTP exchanges made within each,
//! checks passed or failed, the values a step received outside HTTP (the callback's
//! parameters), and every JWT that passed by, decoded.
//!
//! A step is a library concept, not the command line's: whatever flow opens a [`Step`]
//! (a new grant, a token exchange) has its exchanges grouped and timed in every front end
//! (text on a terminal, JSON lines, a HAR file) without touching any of them. Exchanges
//! are tied to the step *entered* on their thread ([`Step::enter`]); a worker thread a step
//! spawns enters it too, through [`Inherited`] (concurrent metadata fetches, the connection
//! warm-up).
//!
//! Everything here is already redacted as the trace must show it (unless the caller asked
//! to reveal secrets): a sink can print, serialise or export it as it is.

use crate::events::{Event, emit};
use serde::Serialize;
use std::cell::RefCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

mod exchange;
mod tokens;

pub use exchange::{Exchange, Field, Sent, ShownBody, ShownRequest, ShownResponse};
pub(crate) use exchange::{sending, shown_pairs};
pub use tokens::{ClaimCheck, DecodedToken, TimeClaim};

/// A step opened: later exchanges, checks and details of this step carry its `step` id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepBegin {
    pub step: u64,
    pub name: String,
    /// RFC 3339, milliseconds, UTC.
    pub started_at: String,
}

/// A step closed, with its outcome in a few words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepEnd {
    pub step: u64,
    pub name: String,
    pub ok: bool,
    pub outcome: String,
    #[serde(rename = "elapsed_ms", serialize_with = "millis")]
    pub elapsed: Duration,
}

/// A check a step made on what it received (the callback's `state` and `iss`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub step: Option<u64>,
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

/// Values a step received or sent outside an HTTP exchange of ours: the parameters that
/// came back to the loopback listener, those of the authorization URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    pub step: Option<u64>,
    pub title: String,
    pub fields: Vec<Field>,
}

/// What a step expects a claim of a JWT to be: `field` names where the token is (the
/// member, form field or header holding it; `None` for any), `claim` is `iss` or `aud`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expect {
    pub field: Option<String>,
    pub claim: String,
    pub value: String,
}

struct Open {
    id: u64,
    expects: Vec<Expect>,
}

static NEXT: AtomicU64 = AtomicU64::new(1);
static OPEN: Mutex<Vec<Open>> = Mutex::new(Vec::new());

thread_local! {
    static HERE: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One step of a flow, open from [`Step::begin`] until [`Step::end`] (or its drop, which
/// ends it as "stopped": an early `?` return still closes the step).
#[derive(Debug)]
pub struct Step {
    id: u64,
    name: String,
    started: Instant,
    ended: bool,
}

/// While alive, exchanges made on this thread belong to the step entered.
#[derive(Debug)]
pub struct Entered {
    id: u64,
    /// Tied to its thread: the thread-local list is the one it pushed to.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        HERE.with(|h| remove_last(&mut h.borrow_mut(), self.id));
    }
}

/// The step of the thread that made it, for a worker thread to enter: what a step hands
/// to a thread of its own stays in that step.
#[derive(Debug, Clone, Copy)]
pub struct Inherited(Option<u64>);

impl Inherited {
    /// This thread's step (none when it entered none).
    pub fn here() -> Inherited {
        Inherited(HERE.with(|h| h.borrow().last().copied()))
    }

    /// Enters it on the calling thread, until the guard drops.
    pub fn enter(self) -> Option<Entered> {
        let id = self.0?;
        HERE.with(|h| h.borrow_mut().push(id));
        Some(Entered { id, _not_send: std::marker::PhantomData })
    }
}

fn remove_last(list: &mut Vec<u64>, id: u64) {
    if let Some(i) = list.iter().rposition(|x| *x == id) {
        list.remove(i);
    }
}

impl Step {
    pub fn begin(name: impl Into<String>) -> Step {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = name.into();
        lock(&OPEN).push(Open { id, expects: Vec::new() });
        emit(Event::StepBegin(&StepBegin { step: id, name: name.clone(), started_at: timestamp(SystemTime::now()) }));
        Step { id, name, started: Instant::now(), ended: false }
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// Makes this the step of exchanges sent from this thread until the guard drops.
    pub fn enter(&self) -> Entered {
        HERE.with(|h| h.borrow_mut().push(self.id));
        Entered { id: self.id, _not_send: std::marker::PhantomData }
    }

    /// A JWT of this step found in `field` (any field when `None`) should have `claim`
    /// (`iss`, or `aud`, which may list several) equal to `value`; the trace shows whether it does.
    pub fn expect(&self, field: Option<&str>, claim: &str, value: impl Into<String>) {
        let e = Expect { field: field.map(String::from), claim: claim.to_string(), value: value.into() };
        if let Some(open) = lock(&OPEN).iter_mut().find(|o| o.id == self.id) {
            open.expects.push(e);
        }
    }

    pub fn end(mut self, ok: bool, outcome: impl Into<String>) {
        self.close(ok, outcome.into());
    }

    /// Ends with `ok`'s words for a success, the error's first line for a failure.
    pub fn finish<T, E: std::fmt::Display>(self, result: &Result<T, E>, ok: impl FnOnce(&T) -> String) {
        match result {
            Ok(v) => self.end(true, ok(v)),
            Err(e) => self.end(false, failure(e)),
        }
    }

    fn close(&mut self, ok: bool, outcome: String) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        lock(&OPEN).retain(|o| o.id != self.id);
        emit(Event::StepEnd(&StepEnd {
            step: self.id,
            name: self.name.clone(),
            ok,
            outcome,
            elapsed: self.started.elapsed(),
        }));
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        self.close(false, "stopped".into());
    }
}

/// A failed step's outcome: the error's first line.
pub fn failure(e: &impl std::fmt::Display) -> String {
    format!("failed: {}", e.to_string().lines().next().unwrap_or(""))
}

/// Runs `f` as the step `name`, entered on this thread, and ends it with its result.
pub fn run<T, E: std::fmt::Display>(
    name: &str,
    f: impl FnOnce(&Step) -> Result<T, E>,
    ok: impl FnOnce(&T) -> String,
) -> Result<T, E> {
    let step = Step::begin(name);
    let result = {
        let _entered = step.enter();
        f(&step)
    };
    step.finish(&result, ok);
    result
}

/// The step exchanges on this thread belong to, with what it expects of JWT claims.
pub(crate) fn current() -> Option<(u64, Vec<Expect>)> {
    let id = Inherited::here().0?;
    let expects = lock(&OPEN).iter().find(|o| o.id == id).map(|o| o.expects.clone()).unwrap_or_default();
    Some((id, expects))
}

/// Records a check of the current step.
pub fn check(name: &str, passed: bool, detail: impl Into<String>) {
    let step = current().map(|(id, _)| id);
    emit(Event::Check(&Check { step, name: name.to_string(), passed, detail: detail.into() }));
}

/// Records values of the current step, secret ones redacted (unless revealing).
pub fn detail<'a>(title: &str, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
    let step = current().map(|(id, _)| id);
    emit(Event::Detail(&Detail { step, title: title.to_string(), fields: shown_pairs(pairs) }));
}

/// RFC 3339 UTC with milliseconds, as HAR's `startedDateTime` wants.
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = crate::docker_gateway::rfc3339(d.as_secs());
    format!("{}.{:03}Z", secs.trim_end_matches('Z'), d.subsec_millis())
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 10_000.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_thread_is_in_the_step_it_inherits_and_no_other() {
        let outer = Step::begin("trace-test outer");
        let inner = Step::begin("trace-test inner");
        inner.expect(Some("access_token"), "aud", "https://rs.example");
        let _o = outer.enter();
        assert_eq!(current().map(|c| c.0), Some(outer.id()));
        let (entered, inherited, none) = std::thread::scope(|s| {
            let entered = s.spawn(|| {
                let _i = inner.enter();
                current()
            });
            let handed = Inherited::here();
            let inherited = s.spawn(move || {
                let _e = handed.enter();
                current().map(|c| c.0)
            });
            let none = s.spawn(|| current().map(|c| c.0));
            (entered.join().unwrap(), inherited.join().unwrap(), none.join().unwrap())
        });
        let (id, expects) = entered.unwrap();
        assert_eq!((id, expects[0].value.as_str()), (inner.id(), "https://rs.example"));
        assert_eq!(inherited, Some(outer.id()));
        assert_eq!(none, None, "a thread that entered nothing is in no step");
        assert_eq!(current().map(|c| c.0), Some(outer.id()), "this thread kept its own");
    }

    #[test]
    fn timestamps_have_milliseconds() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_607_222_045);
        assert_eq!(timestamp(t), "2025-12-01T16:40:22.045Z");
    }
}
