//! API bodies: each write endpoint documents one JSON object. An empty body (where one is
//! needed), an array, a string, a number or `null` is refused with 400 and a Japanese message
//! before anything is read into a form, so that `[]` cannot stand for a form of defaults.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::AppError;

/// The body as `T`; it must be a JSON object.
pub(crate) fn object<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::BadRequest("本文が空です。JSONオブジェクト（{…}）を送ってください".into()));
    }
    read(body)
}

/// The body as `T`, or `T::default()` when the body is empty (an endpoint whose fields are all
/// optional, such as approving a request without a comment).
pub(crate) fn object_or_empty<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    read(body)
}

fn read<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("JSONを読めません（{e}）")))?;
    if !value.is_object() {
        return Err(AppError::BadRequest("本文はJSONオブジェクト（{…}）にしてください".into()));
    }
    serde_json::from_value(value).map_err(|e| AppError::BadRequest(format!("JSONの項目が正しくありません（{e}）")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Default, Debug)]
    #[serde(default)]
    struct Form {
        title: String,
    }

    #[test]
    fn only_an_object_is_a_body() {
        for bad in ["", "  ", "[]", "[\"x\"]", "\"x\"", "1", "null", "{", "{\"title\": 1}"] {
            assert!(matches!(object::<Form>(bad.as_bytes()), Err(AppError::BadRequest(_))), "{bad:?}");
        }
        for bad in ["[]", "null", "\"x\""] {
            assert!(object_or_empty::<Form>(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert_eq!(object::<Form>(b"{\"title\": \"a\"}").unwrap().title, "a");
        assert_eq!(object_or_empty::<Form>(b"").unwrap().title, "");
    }
}
