//! `jsonb` arguments that habtm reads (a `collection` filter): parsed once, exactly.
//!
//! pgrx's `JsonB` panics (SQLSTATE XX000) on what PostgreSQL accepts: numbers beyond `f64`
//! (`1e400`) and documents nested deeper than serde_json's default limit of 128. Here numbers
//! keep their exact text (serde_json's `arbitrary_precision`), so `1234567890123456789.0123456789`
//! reaches PostgreSQL as written, and depth is checked before parsing: up to [`MAX_DEPTH`]
//! levels are read, deeper ones are SQLSTATE 54001 (statement_too_complex), as PostgreSQL's
//! own limits are.

use pgrx::pg_sys;
use pgrx::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::error::HabtmError;

/// The deepest document read. Deeper filters mean nothing a user would write, and the compiled
/// SQL would reach PostgreSQL's own stack limit.
pub const MAX_DEPTH: usize = 1000;

/// A `jsonb` argument, parsed.
pub struct JsonArg(pub Value);

/// How deeply the JSON text nests arrays and objects (brackets inside strings do not count).
pub fn depth(text: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Parses JSON text that PostgreSQL produced (`jsonb_out`): valid, at most [`MAX_DEPTH`] deep.
pub fn parse(text: &str) -> Result<Value, HabtmError> {
    let deepest = depth(text);
    if deepest > MAX_DEPTH {
        return Err(HabtmError::TooDeep {
            depth: deepest,
            limit: MAX_DEPTH,
        });
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    Value::deserialize(&mut de).map_err(|e| HabtmError::BadJson {
        argument: "filter",
        reason: format!("cannot be read: {e}"),
    })
}

impl FromDatum for JsonArg {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _typoid: pg_sys::Oid,
    ) -> Option<Self> {
        if is_null {
            return None;
        }
        // SAFETY: a jsonb datum (the argument is declared jsonb); jsonb_out returns a palloc'd
        // C string of valid UTF-8 JSON.
        let text = unsafe {
            let out =
                pgrx::direct_function_call::<&core::ffi::CStr>(pg_sys::jsonb_out, &[Some(datum)])
                    .expect("jsonb_out returns text");
            out.to_string_lossy().into_owned()
        };
        Some(JsonArg(parse(&text).unwrap_or_else(|e| e.raise())))
    }
}

// SAFETY: the argument is declared jsonb; NULL is handled by pgrx's Option wrapper.
unsafe impl<'fcx> pgrx::callconv::ArgAbi<'fcx> for JsonArg {
    unsafe fn unbox_arg_unchecked(arg: pgrx::callconv::Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        // SAFETY: the caller guarantees a non-null jsonb argument.
        unsafe { arg.unbox_arg_using_from_datum() }
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }
}

pgrx::impl_sql_translatable!(JsonArg, "jsonb");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert_eq!(depth("{}"), 1);
        assert_eq!(depth(r#"{"a": [1, {"b": "[[[{"}]]}"#), 3);
        assert_eq!(depth(r#"{"a": "\"[["}"#), 1);
        assert_eq!(depth("1"), 0);
    }

    #[test]
    fn numbers_keep_their_text_and_depth_is_bounded() {
        let v = parse(r#"{"big": 1234567890123456789.0123456789, "huge": 1e400}"#).unwrap();
        assert_eq!(v["big"].to_string(), "1234567890123456789.0123456789");
        // the same number: serde_json writes the exponent's sign (PostgreSQL reads both)
        assert_eq!(v["huge"].to_string(), "1e+400");
        let deep = format!("{}1{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&deep).is_ok());
        let deeper = format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert!(matches!(parse(&deeper), Err(HabtmError::TooDeep { .. })));
    }
}
