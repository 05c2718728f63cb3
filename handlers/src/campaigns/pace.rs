//! Pacing: at most `rate` sends in any one second, measured on a [`Clock`] that tests drive.
//!
//! A send holds a slot from the moment it is granted until its answer came back, and one second
//! after that. A new send is granted only while fewer than `rate` slots are held. So any request
//! that reached EUM within a window of one second was granted while every other one of that
//! window was either in flight or answered less than a second before: at most `rate` of them,
//! whatever the concurrency and the latency. A throttle halves the rate; it climbs back by one
//! per `rate` sends answered without one.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::task::{Context, Poll};

use async_trait::async_trait;

/// Milliseconds since the epoch, and sleeping until one.
#[async_trait]
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;
    async fn sleep_until(&self, at_ms: i64);
}

/// A clock that moves only when slept on: sleeping jumps to the time asked for (after yielding
/// once, so other tasks of the same invocation run). Tests and benchmarks drive time with it.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start_ms: i64) -> Self {
        ManualClock(AtomicI64::new(start_ms))
    }

    /// Moves the clock forward by `ms` (never back).
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms.max(0), Ordering::SeqCst);
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    async fn sleep_until(&self, at_ms: i64) {
        YieldOnce(false).await;
        self.0.fetch_max(at_ms, Ordering::SeqCst);
    }
}

/// Pending once, then ready: lets the other futures of a task make progress.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[derive(Debug)]
struct State {
    /// The rate now (sends per second); 0 = no pacing.
    limit: u32,
    configured: u32,
    in_flight: u32,
    /// When each answered send came back, oldest first (those of the last second).
    answered: VecDeque<i64>,
    clean: u32,
    throttles: u32,
}

/// See the module documentation.
#[derive(Debug)]
pub struct Pacer(Mutex<State>);

/// A slot of the window: its holder is waiting for its answer.
#[must_use]
pub struct Slot;

impl Pacer {
    /// A pacer of `rate` sends per second (0: no pacing).
    pub fn new(rate: u32) -> Self {
        Pacer(Mutex::new(State {
            limit: rate,
            configured: rate,
            in_flight: 0,
            answered: VecDeque::new(),
            clean: 0,
            throttles: 0,
        }))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The rate now.
    pub fn rate(&self) -> u32 {
        self.state().limit
    }

    /// Throttles seen so far.
    pub fn throttles(&self) -> u32 {
        self.state().throttles
    }

    /// Waits for a slot.
    pub async fn acquire(&self, clock: &dyn Clock) -> Slot {
        loop {
            let wait = {
                let mut s = self.state();
                let now = clock.now_ms();
                while s.answered.front().is_some_and(|&t| t <= now - 1000) {
                    s.answered.pop_front();
                }
                if s.limit == 0 || (s.in_flight + s.answered.len() as u32) < s.limit {
                    s.in_flight += 1;
                    return Slot;
                }
                s.answered.front().map_or(now + 5, |t| t + 1000)
            };
            clock.sleep_until(wait).await;
        }
    }

    /// The send of `slot` was answered at `now_ms`; `throttled` when EUM or Meta said too fast.
    pub fn answered(&self, slot: Slot, now_ms: i64, throttled: bool) {
        let Slot = slot;
        let mut s = self.state();
        s.in_flight = s.in_flight.saturating_sub(1);
        if s.configured == 0 {
            return;
        }
        s.answered.push_back(now_ms);
        if throttled {
            s.throttles += 1;
            s.limit = (s.limit / 2).max(1);
            s.clean = 0;
        } else {
            s.clean += 1;
            if s.clean >= s.limit && s.limit < s.configured {
                s.limit += 1;
                s.clean = 0;
            }
        }
    }

    /// Meta reported a rate limit later (error 130429 on a status): slow down as for a throttle.
    pub fn slow_down(&self) {
        let mut s = self.state();
        if s.configured > 0 {
            s.throttles += 1;
            s.limit = (s.limit / 2).max(1);
        }
    }
}

/// The largest number of times in `at_ms` (sorted or not) that fall within one second.
pub fn busiest_second(at_ms: &[i64]) -> usize {
    let mut times = at_ms.to_vec();
    times.sort_unstable();
    let mut best = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= 1000 {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends `n` messages 4 at a time, each answered `latency` ms after it was granted; returns
    /// the time each request was made.
    async fn run(
        pacer: &Pacer,
        clock: &ManualClock,
        n: usize,
        throttle_at: Option<usize>,
    ) -> Vec<i64> {
        use futures_util::StreamExt;
        let sent = Mutex::new(Vec::new());
        futures_util::stream::iter(0..n)
            .for_each_concurrent(4, |i| {
                let sent = &sent;
                async move {
                    let slot = pacer.acquire(clock).await;
                    sent.lock().unwrap().push(clock.now_ms());
                    clock.sleep_until(clock.now_ms() + 3).await;
                    pacer.answered(slot, clock.now_ms(), throttle_at == Some(i));
                }
            })
            .await;
        sent.into_inner().unwrap()
    }

    #[tokio::test]
    async fn no_second_holds_more_than_the_rate() {
        let clock = ManualClock::new(1_000_000);
        let pacer = Pacer::new(10);
        let times = run(&pacer, &clock, 95, None).await;
        assert_eq!(times.len(), 95);
        assert!(busiest_second(&times) <= 10, "{}", busiest_second(&times));
        // and it is not slower than it must be: 95 sends at 10/s take about 9 seconds
        let span = times.iter().max().unwrap() - times.iter().min().unwrap();
        assert!((8_000..11_000).contains(&span), "{span}");
    }

    #[tokio::test]
    async fn a_throttle_halves_the_rate_and_it_climbs_back() {
        let clock = ManualClock::new(0);
        let pacer = Pacer::new(8);
        let times = run(&pacer, &clock, 20, Some(2)).await;
        assert!(busiest_second(&times) <= 8);
        assert_eq!(pacer.throttles(), 1);
        assert!(pacer.rate() < 8 && pacer.rate() >= 4, "{}", pacer.rate());
        let _ = run(&pacer, &clock, 100, None).await;
        assert_eq!(pacer.rate(), 8);
    }

    #[tokio::test]
    async fn rate_zero_does_not_pace() {
        let clock = ManualClock::new(0);
        let pacer = Pacer::new(0);
        let times = run(&pacer, &clock, 50, None).await;
        assert_eq!(times.len(), 50);
        assert!(times.iter().max().unwrap() - times.iter().min().unwrap() < 1000);
    }

    #[test]
    fn busiest_second_counts_a_sliding_window() {
        assert_eq!(busiest_second(&[0, 999, 1000, 1500, 1999]), 3);
        assert_eq!(busiest_second(&[0, 10, 20, 999]), 4);
        assert_eq!(busiest_second(&[]), 0);
    }
}
