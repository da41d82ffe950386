//! How long AWS calls may take, so that the function always answers before Lambda stops it: a
//! hung call would otherwise run into the function's Timeout, and API callers would get API
//! Gateway's bare 5xx, and a batch would lose its list of failed records.
//!
//! Two bounds work together. The SDK's own timeouts, set once at init from the function's
//! Timeout (`FUNCTION_TIMEOUT_SECONDS`, which template.yaml sets: Lambda tells the function its
//! deadline per invocation, not its Timeout), end each call. The handler bounds the whole batch
//! by the invocation's deadline, which also covers calls made one after another.

use std::time::{Duration, SystemTime};
{{#if is.callsAws}}

use aws_config::timeout::TimeoutConfig;

use crate::required_env;
{{/if}}

/// Time kept back to answer Lambda once the AWS calls have given up: a tenth of the time
/// available, between 200 ms and 2 s.
pub fn answer_reserve(available: Duration) -> Duration {
    (available / 10).clamp(Duration::from_millis(200), Duration::from_secs(2))
}

/// What is left of an invocation for AWS calls, given its deadline (`Context::deadline`).
pub fn time_left(deadline: SystemTime) -> Duration {
    let left = deadline
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    left.saturating_sub(answer_reserve(left))
}
{{#if is.callsAws}}

/// The function's Timeout, from `FUNCTION_TIMEOUT_SECONDS`.
pub fn function_timeout() -> Result<Duration, Box<dyn std::error::Error + Send + Sync>> {
    let seconds = required_env("FUNCTION_TIMEOUT_SECONDS")?;
    match seconds.parse::<u64>() {
        Ok(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds)),
        _ => Err(format!("FUNCTION_TIMEOUT_SECONDS must be whole seconds, not {seconds:?}").into()),
    }
}

/// The SDK's timeouts for a function with this Timeout. One operation, retries included, ends
/// in time to answer; one attempt gets a third of that, so the standard retry strategy (three
/// attempts) can still retry a call that hung on one bad connection.
pub fn sdk_timeouts(function_timeout: Duration) -> TimeoutConfig {
    let operation = function_timeout.saturating_sub(answer_reserve(function_timeout));
    TimeoutConfig::builder()
        .operation_timeout(operation)
        .operation_attempt_timeout(operation / 3)
        .connect_timeout(operation / 3)
        .build()
}
{{/if}}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_a_tenth_within_bounds() {
        let reserve = |seconds| answer_reserve(Duration::from_secs(seconds));
        assert_eq!(reserve(1), Duration::from_millis(200));
        assert_eq!(reserve(10), Duration::from_secs(1));
        assert_eq!(reserve(900), Duration::from_secs(2));
    }

    #[test]
    fn a_passed_deadline_leaves_no_time() {
        let past = SystemTime::now() - Duration::from_secs(1);
        assert_eq!(time_left(past), Duration::ZERO);
        let soon = SystemTime::now() + Duration::from_secs(10);
        assert!(time_left(soon) <= Duration::from_secs(9));
    }
{{#if is.callsAws}}

    #[test]
    fn every_call_ends_before_the_function_times_out() {
        let timeout = Duration::from_secs(3);
        let config = sdk_timeouts(timeout);
        let operation = config.operation_timeout().unwrap();
        assert_eq!(operation, Duration::from_millis(2700));
        assert_eq!(config.operation_attempt_timeout(), Some(operation / 3));
    }
{{/if}}
}
