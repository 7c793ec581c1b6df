//! The one reading of a non-negative number (a lifetime, an interval, a timestamp) in a
//! server's JSON. Servers in the field send `expires_in` as a string (Azure AD), as a float,
//! and `client_secret_expires_at` as "0"; all of that is accepted the same way everywhere.
//! What still is not a number (negative, garbage, an object) counts as absent, so the caller
//! decides whether absence is an error.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A JSON integer, a float (truncated toward zero), or either written as a string.
pub fn number(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().and_then(whole)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<u64>().ok().or_else(|| s.parse::<f64>().ok().and_then(whole))
        }
        _ => None,
    }
}

fn whole(f: f64) -> Option<u64> {
    (f.is_finite() && f >= 0.0).then_some(f as u64)
}

/// [`number`] as a serde field reader: `#[serde(default, deserialize_with = "crate::lenient::option_u64")]`.
pub fn option_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(number(Option::<Value>::deserialize(d)?.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_floats_and_strings_of_either() {
        for (v, want) in [
            (json!(3600), Some(3600)),
            (json!(59.9), Some(59)),
            (json!("3600"), Some(3600)),
            (json!(" 42 "), Some(42)),
            (json!("1.5"), Some(1)),
            (json!(0), Some(0)),
            (json!(-1), None),
            (json!(-0.5), None),
            (json!("-3"), None),
            (json!("soon"), None),
            (json!("NaN"), None),
            (json!(true), None),
            (json!({}), None),
            (Value::Null, None),
        ] {
            assert_eq!(number(Some(&v)), want, "{v}");
        }
        assert_eq!(number(None), None);
    }

    #[test]
    fn as_a_serde_field() {
        #[derive(Deserialize)]
        struct R {
            #[serde(default, deserialize_with = "option_u64")]
            n: Option<u64>,
        }
        let read = |v: Value| serde_json::from_value::<R>(v).unwrap().n;
        assert_eq!(read(json!({"n": "0"})), Some(0));
        assert_eq!(read(json!({"n": 1.9})), Some(1));
        assert_eq!(read(json!({"n": "x"})), None);
        assert_eq!(read(json!({})), None);
    }
}
