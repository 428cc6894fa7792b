//! Slack's per-method rate limits as the simulator keeps them: per install and method, at
//! most so many calls in any second (the limits a test sets); past that, HTTP 429
//! `ratelimited` with the whole seconds to wait in `Retry-After`.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct Limiter {
    /// When each call still inside its window was taken, by (install, method).
    taken: HashMap<(usize, String), VecDeque<Instant>>,
}

impl Limiter {
    /// Take a call of `method` by `install` now, if fewer than `per_second` were taken in
    /// the last second; else the whole seconds until one may be (at least 1).
    pub fn admit(
        &mut self,
        install: usize,
        method: &str,
        per_second: u32,
        now: Instant,
    ) -> Result<(), u64> {
        let taken = self.taken.entry((install, method.to_owned())).or_default();
        while taken
            .front()
            .is_some_and(|at| now.duration_since(*at) >= WINDOW)
        {
            taken.pop_front();
        }
        if taken.len() < per_second as usize {
            taken.push_back(now);
            return Ok(());
        }
        let oldest = *taken.front().expect("full, so not empty");
        let wait = WINDOW.saturating_sub(now.duration_since(oldest));
        Err(wait.as_secs_f64().ceil().max(1.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holds_at_most_the_limit() {
        let mut limiter = Limiter::default();
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.admit(0, "m", 3, start), Ok(()));
        }
        assert_eq!(limiter.admit(0, "m", 3, start), Err(1));
        assert_eq!(
            limiter.admit(1, "m", 3, start),
            Ok(()),
            "another install has its own"
        );
        assert_eq!(
            limiter.admit(0, "other", 3, start),
            Ok(()),
            "another method too"
        );
        assert_eq!(limiter.admit(0, "m", 3, start + WINDOW), Ok(()));
    }
}
