//! Where results go. The handler is written against the small [`Sink`] trait, so tests can run
//! it with an in-memory sink and production wires in the real one in `main.rs`.

use serde::Serialize;

mod {{sinkRow.rustModule}};
pub use {{sinkRow.rustModule}}::{{sinkRow.rustType}};

#[cfg(test)]
pub mod memory;

/// Any error a sink runs into: a transient failure, worth retrying. The handler logs it and
/// reports the record (or request) as failed.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Which write wins when two writes of one `id` meet: a record delivered twice, or late.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Version {
    /// Only the first write of an `id` is stored; any later one is refused (`POST /items`).
    First,
    /// The record's position in its source, as a fixed-width string (see [`Version::decimal`]
    /// and [`Version::hex`]): a write replaces only an older one, so a replayed or late record
    /// never overwrites a newer one.
    Ordered(String),
    /// No order is known (an SQS standard queue delivers in no particular order): the write
    /// replaces whatever is stored.
    Unordered,
}

/// Kinesis sequence numbers have up to 129 decimal digits.
const DECIMAL_WIDTH: usize = 129;
/// S3 sequencers are hex strings of varying length; 64 digits leave ample room.
const HEX_WIDTH: usize = 64;

impl Version {
    /// A Kinesis sequence number. These are big decimals, so they are compared as strings of
    /// one width: zero-padded, "9" < "10" holds as it does for the numbers.
    pub fn decimal(sequence_number: &str) -> Self {
        Self::Ordered(pad(sequence_number, DECIMAL_WIDTH))
    }

    /// An S3 object's `sequencer`. S3 documents comparing them after left-padding the shorter
    /// with zeros; upper-casing makes `a` and `A` equal.
    pub fn hex(sequencer: &str) -> Self {
        Self::Ordered(pad(&sequencer.to_ascii_uppercase(), HEX_WIDTH))
    }

    /// Whether a write with this version replaces an item stored with `stored`.
    pub fn replaces(&self, stored: Option<&Version>) -> bool {
        match (self, stored) {
            (_, None) | (Self::Unordered, _) => true,
            (Self::Ordered(new), Some(Self::Ordered(old))) => new > old,
            (Self::Ordered(_), Some(_)) => true,
            (Self::First, Some(_)) => false,
        }
    }
}

fn pad(digits: &str, width: usize) -> String {
    let digits = digits.trim_start_matches('0');
    format!("{digits:0>width$}")
}

/// One item to store, and its version.
#[derive(Clone, Debug)]
pub struct Write<T> {
    pub item: T,
    pub version: Version,
}

/// What became of a write the sink accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The item is stored.
    Stored,
    /// The item already stored was kept: with [`Version::First`], any item of that `id`; with
    /// [`Version::Ordered`], one of the same or a newer version (this write was already applied).
    Kept,
}

/// Stores the results the handler produces: any `Serialize` value that serialises to a JSON
/// object with a string `id`.
pub trait Sink: Send + Sync {
    /// Stores every write and returns one result per write, in the same order. Writes of one
    /// `id` are applied in the order given; writes of different ids may run concurrently.
    ///
    /// Declared as `impl Future + Send` rather than `async fn` so that callers (and the
    /// Lambda runtime) can rely on the returned future being `Send`.
    fn put_all<T: Serialize + Sync>(
        &self,
        writes: &[Write<T>],
    ) -> impl Future<Output = Vec<Result<Outcome, SinkError>>> + Send;

    /// Stores one item.
    fn put<T: Serialize + Send + Sync + Clone>(
        &self,
        item: &T,
        version: Version,
    ) -> impl Future<Output = Result<Outcome, SinkError>> + Send {
        async move {
            let item = item.clone();
            let mut results = self.put_all(&[Write { item, version }]).await;
            let result = results.pop();
            result.unwrap_or_else(|| Err("the sink returned no result".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_longer_sequence_number_is_a_newer_version() {
        let older = Version::decimal("9");
        let newer = Version::decimal("10");
        assert!(newer.replaces(Some(&older)));
        assert!(!older.replaces(Some(&newer)));
    }

    #[test]
    fn a_version_does_not_replace_itself() {
        let version = Version::decimal("49590338271490256608559692538361571095921575989136588898");
        assert!(!version.replaces(Some(&version.clone())));
        assert!(version.replaces(None));
    }

    /// A small deterministic generator (xorshift), so the property below needs no extra crate.
    fn numbers(mut state: u64) -> impl Iterator<Item = u128> {
        std::iter::repeat_with(move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Lengths from 1 to about 39 digits, as sequence numbers grow over a stream's life.
            ((u128::from(state) << 64) | u128::from(state.rotate_left(29))) >> (state % 128)
        })
    }

    #[test]
    fn versions_order_as_the_numbers_they_stand_for() {
        let pairs = numbers(0x9E37_79B9_7F4A_7C15).zip(numbers(0xD1B5_4A32_D192_ED03));
        for (a, b) in pairs.take(2_000) {
            let decimal = |n: u128| Version::decimal(&n.to_string());
            assert_eq!(decimal(a).replaces(Some(&decimal(b))), a > b, "{a} vs {b}");
            let hex_a = Version::hex(&format!("{a:x}"));
            let hex_b = Version::hex(&format!("{b:X}"));
            assert_eq!(hex_a.replaces(Some(&hex_b)), a > b, "{a:x} vs {b:x}");
        }
    }

    #[test]
    fn sequencers_compare_after_padding_and_ignore_case() {
        assert!(Version::hex("0A").replaces(Some(&Version::hex("9"))));
        assert_eq!(Version::hex("00ff"), Version::hex("FF"));
    }

    #[test]
    fn first_writes_never_replace_an_item() {
        assert!(Version::First.replaces(None));
        assert!(!Version::First.replaces(Some(&Version::First)));
        assert!(!Version::First.replaces(Some(&Version::Unordered)));
    }

    #[test]
    fn unordered_writes_always_replace() {
        assert!(Version::Unordered.replaces(Some(&Version::decimal("9"))));
        assert!(Version::Unordered.replaces(Some(&Version::First)));
    }
}
