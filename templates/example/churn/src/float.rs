//! Floating point that gives the same bits, and the same text, in Rust, Node.js and Python, so
//! that the three functions send byte-identical messages.
//!
//! `f64::exp` calls the platform's libm and JavaScript's `Math.exp` is V8's own: they differ in
//! the last bit for about one argument in ten. [`exp`] is V8's (fdlibm's algorithm), written
//! with `+`, `-`, `*` and `/` only, which IEEE 754 makes exact in every language; the twins
//! carry the same code.
//! [`write_number`] prints a number as JavaScript's `Number.prototype.toString` does: the
//! shortest digits that read back to the same `f64`, laid out by ECMAScript's rules.

const O_THRESHOLD: f64 = 7.097_827_128_933_84e2;
const U_THRESHOLD: f64 = -7.451_332_191_019_412e2;
const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
// fdlibm's invln2, 0x3ff71547652b82fe.
const INV_LN2: f64 = std::f64::consts::LOG2_E;
const P1: f64 = 1.666_666_666_666_660_2e-1;
const P2: f64 = -2.777_777_777_701_559_3e-3;
const P3: f64 = 6.613_756_321_437_934e-5;
const P4: f64 = -1.653_390_220_546_525_2e-6;
const P5: f64 = 4.138_136_797_057_238_5e-8;

/// e^x, as V8's `Math.exp` computes it (fdlibm's `__ieee754_exp`, less than one ulp off).
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > O_THRESHOLD {
        return f64::INFINITY;
    }
    if x < U_THRESHOLD {
        return 0.0;
    }
    let high = ((x.to_bits() >> 32) as u32) & 0x7fff_ffff;
    let negative = x < 0.0;
    // Argument reduction: x = k·ln2 + r, |r| <= ln2/2, with ln2 split in two for precision.
    let (hi, lo, k) = if high > 0x3fd6_2e42 {
        let (hi, lo, k) = if high < 0x3ff0_a2b2 {
            // V8's special case: the reduction gets the last bit of e^1 wrong.
            if x == 1.0 {
                return std::f64::consts::E;
            }
            if negative {
                (x + LN2_HI, -LN2_LO, -1)
            } else {
                (x - LN2_HI, LN2_LO, 1)
            }
        } else {
            let k = (INV_LN2 * x + if negative { -0.5 } else { 0.5 }) as i32;
            let t = f64::from(k);
            (x - t * LN2_HI, t * LN2_LO, k)
        };
        (hi, lo, k)
    } else if high < 0x3e30_0000 {
        return 1.0 + x;
    } else {
        (x, 0.0, 0)
    };
    let r = if k == 0 { x } else { hi - lo };
    let t = r * r;
    let c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    if k == 0 {
        return 1.0 - ((r * c) / (c - 2.0) - r);
    }
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    scale(y, k)
}

/// y·2^k, rounded once as fdlibm does (exact unless the result is subnormal).
fn scale(y: f64, k: i32) -> f64 {
    if k > 1023 {
        y * 2.0 * power_of_two(k - 1)
    } else if k >= -1021 {
        y * power_of_two(k)
    } else {
        y * power_of_two(k + 1000) * power_of_two(-1000)
    }
}

/// 2^k for -1022 <= k <= 1023, built from its bits.
fn power_of_two(k: i32) -> f64 {
    f64::from_bits(((0x3ff + k) as u64) << 52)
}

/// Appends a finite `x` to `out` as JavaScript's `String(x)` (and so `JSON.stringify`) writes
/// it: `0.5`, `1`, `0.000001`, `1e-7`, `1.5e+300`.
pub fn write_number(out: &mut String, x: f64) {
    debug_assert!(x.is_finite(), "JSON has no NaN or infinity");
    if x == 0.0 {
        out.push('0');
        return;
    }
    if x < 0.0 {
        out.push('-');
    }
    // Rust's `{:e}` is the shortest round-trip form too: "1.2345e-7" is digits 12345, n = -6.
    let shortest = format!("{:e}", x.abs());
    let (mantissa, exponent) = shortest.split_once('e').expect("{:e} writes an exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    // The value is 0.digits × 10^n.
    let n = exponent
        .parse::<i32>()
        .expect("{:e} writes an integer exponent")
        + 1;
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if n - 1 < 0 { '-' } else { '+' });
        out.push_str(&(n - 1).abs().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(x: f64) -> String {
        let mut out = String::new();
        write_number(&mut out, x);
        out
    }

    #[test]
    fn numbers_are_written_as_javascript_writes_them() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (0.5, "0.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.891350762424666, "0.891350762424666"),
            (0.000001, "0.000001"),
            (0.0000012, "0.0000012"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (5e-324, "5e-324"),
            (123.456, "123.456"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e300, "1.5e+300"),
            (-2.5, "-2.5"),
            (f64::MAX, "1.7976931348623157e+308"),
        ];
        for (x, text) in cases {
            assert_eq!(number(x), text, "{x:e}");
            assert_eq!(number(x).parse::<f64>().unwrap(), x.abs() * x.signum());
        }
    }

    #[test]
    fn exp_is_within_an_ulp_of_the_platform_s() {
        let mut x = -745.0;
        while x < 709.0 {
            let (ours, platform) = (exp(x), x.exp());
            let ulps = (ours.to_bits() as i64 - platform.to_bits() as i64).abs();
            assert!(
                ulps <= 1,
                "exp({x}) = {ours:e}, the platform says {platform:e}"
            );
            x += 0.013_7;
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(1e-30), 1.0);
        assert_eq!(exp(1.0), std::f64::consts::E);
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(exp(-746.0), 0.0);
        assert!(exp(f64::NAN).is_nan());
        // Subnormal results are rounded once.
        assert_eq!(exp(-744.0), 1e-323);
    }
}
