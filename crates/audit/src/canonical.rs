//! Canonical JSON: object keys sorted by bytes, no insignificant whitespace. The stored detail is
//! exactly this text, so the MAC never depends on how a serialiser happens to order keys.

use serde_json::Value;

/// The canonical text of a JSON value: keys sorted by bytes, no insignificant whitespace.
pub fn to_canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                if let Some(v) = map.get(key) {
                    write(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push_str(&Value::String(s.to_string()).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use proptest::prelude::*;

    /// Any JSON value: every number kind, strings and keys of any Unicode (controls, quotes,
    /// backslashes, astral planes), nested up to a few levels.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter("JSON has no NaN or infinity", |f| f.is_finite()).prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                proptest::collection::vec((any::<String>(), inner), 0..8)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    /// The same value written by a serialiser that orders object keys by `order`.
    fn reordered(value: &Value, order: &dyn Fn(&mut Vec<&String>)) -> String {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                order(&mut keys);
                let fields: Vec<String> = keys
                    .into_iter()
                    .map(|k| format!("{}:{}", Value::String(k.clone()), reordered(&map[k.as_str()], order)))
                    .collect();
                format!("{{{}}}", fields.join(" , "))
            }
            Value::Array(items) => {
                format!("[ {} ]", items.iter().map(|i| reordered(i, order)).collect::<Vec<_>>().join(","))
            }
            other => other.to_string(),
        }
    }

    proptest! {
        #[test]
        fn round_trips_through_a_parser(value in any_json()) {
            let text = to_canonical_json(&value);
            let parsed: Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            prop_assert_eq!(&parsed, &value, "{}", text);
            // Canonical text is a fixed point: encoding what was read gives the same bytes.
            prop_assert_eq!(to_canonical_json(&parsed), text);
        }

        #[test]
        fn does_not_depend_on_the_order_keys_were_written_in(value in any_json()) {
            let canonical = to_canonical_json(&value);
            for text in [reordered(&value, &|k| k.reverse()), reordered(&value, &|k| k.sort_by_key(|s| s.len()))] {
                let parsed: Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
                prop_assert_eq!(to_canonical_json(&parsed), canonical.clone(), "{}", text);
            }
        }

        #[test]
        fn keys_are_in_byte_order_and_escaped(a in any::<String>(), b in any::<String>()) {
            prop_assume!(a != b);
            let text = to_canonical_json(&serde_json::json!({ a.clone(): 1, b.clone(): 2 }));
            let ((first, x), (second, y)) = if a.as_bytes() < b.as_bytes() { ((&a, 1), (&b, 2)) } else { ((&b, 2), (&a, 1)) };
            let key = |k: &String| Value::String(k.clone()).to_string();
            prop_assert_eq!(&text, &format!("{{{}:{x},{}:{y}}}", key(first), key(second)));
            // No raw control character: the text is one line whatever the keys hold.
            prop_assert!(!text.chars().any(char::is_control), "{}", text);
        }
    }

    #[test]
    fn sorts_keys_at_every_depth() {
        let v = json!({"b": 1, "a": {"z": [3, {"y": true, "x": null}], "c": "q\"uote"}});
        assert_eq!(to_canonical_json(&v), r#"{"a":{"c":"q\"uote","z":[3,{"x":null,"y":true}]},"b":1}"#);
    }
}
