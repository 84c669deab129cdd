//! Method parameters as CometBFT's RPC server reads them, from a JSON-RPC request's `params`
//! (an object by name or an array by position) or from a URI's query string.
//!
//! JSON (`libs/json`): 64-bit integers are decimal *strings* (`"height": "5"`; a JSON number is
//! refused), `[]byte` (transactions, hashes) base64 strings, `HexBytes` (`abci_query`'s `data`)
//! hex strings, booleans and strings as JSON. URI (`GET /block?height=5`): a bare integer for
//! an integer; `0x...` hex or a `"quoted"` string (its bytes) for bytes; anything else is read
//! as JSON of the parameter's type (so a string is `path="/store"`). A missing or empty
//! parameter is Go's zero value (`None` here).

use std::collections::HashMap;

use serde_json::Value;

use super::codec::{base64_decode, hex_decode};
use super::RpcError;

/// A parameter's raw form.
#[derive(Clone, Debug)]
enum Raw {
    Json(Value),
    Uri(String),
}

/// A request's parameters before they are bound to a method's names.
#[derive(Clone, Debug)]
pub enum Params {
    /// JSON-RPC `params` (absent or `null`: none).
    Json(Option<Value>),
    /// A URI's query arguments, percent-decoded (the first value of each name).
    Uri(HashMap<String, String>),
}

/// Parameters bound to a method's names, in order.
#[derive(Debug)]
pub struct Bound {
    values: Vec<Option<Raw>>,
    uri: bool,
}

impl Params {
    /// Binds the parameters to `names`; fails as CometBFT does on params that are neither an
    /// object nor an array, or an array of another length.
    pub fn bind(&self, names: &[&str]) -> Result<Bound, RpcError> {
        match self {
            Params::Uri(args) => Ok(Bound {
                values: names
                    .iter()
                    .map(|n| {
                        args.get(*n)
                            .filter(|v| !v.is_empty())
                            .map(|v| Raw::Uri(v.clone()))
                    })
                    .collect(),
                uri: true,
            }),
            Params::Json(None) | Params::Json(Some(Value::Null)) => Ok(Bound {
                values: vec![None; names.len()],
                uri: false,
            }),
            Params::Json(Some(Value::Object(map))) => Ok(Bound {
                values: names
                    .iter()
                    .map(|n| map.get(*n).cloned().map(Raw::Json))
                    .collect(),
                uri: false,
            }),
            Params::Json(Some(Value::Array(items))) => {
                if items.len() != names.len() {
                    return Err(RpcError::invalid_params(
                        false,
                        format!(
                            "expected {} parameters ([{}]), got {}",
                            names.len(),
                            names.join(" "),
                            items.len()
                        ),
                    ));
                }
                Ok(Bound {
                    values: items.iter().cloned().map(|v| Some(Raw::Json(v))).collect(),
                    uri: false,
                })
            }
            Params::Json(Some(other)) => Err(RpcError::invalid_params(
                false,
                format!(
                    "unknown type for JSON params: {} is not an object or an array. Expected \
                     map or array",
                    json_kind(other)
                ),
            )),
        }
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The JSON value a URI argument stands for, for a parameter of kind `kind`.
fn uri_json(arg: &str, int: bool) -> Result<Value, String> {
    let is_int = {
        let digits = arg.strip_prefix('-').unwrap_or(arg);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    };
    if int && is_int {
        return Ok(Value::String(arg.to_string()));
    }
    serde_json::from_str(arg).map_err(|e| format!("{arg:?} is not JSON: {e}"))
}

impl Bound {
    fn err(&self, reason: String) -> RpcError {
        RpcError::invalid_params(self.uri, reason)
    }

    fn raw(&self, i: usize) -> Option<&Raw> {
        self.values.get(i).and_then(Option::as_ref)
    }

    /// The JSON value of parameter `i`, URI arguments read as [`uri_json`] does; `None` when
    /// missing or `null`.
    fn json(&self, i: usize, int: bool) -> Result<Option<Value>, RpcError> {
        match self.raw(i) {
            None => Ok(None),
            Some(Raw::Json(Value::Null)) => Ok(None),
            Some(Raw::Json(v)) => Ok(Some(v.clone())),
            Some(Raw::Uri(s)) => {
                if int && s.to_ascii_lowercase().starts_with("0x") {
                    return Err(self.err("got a hex string arg, but expected 'int64'".into()));
                }
                uri_json(s, int).map(Some).map_err(|e| self.err(e))
            }
        }
    }

    /// An `int64` (or Go `int`, also string-encoded) parameter.
    pub fn int64(&self, i: usize) -> Result<Option<i64>, RpcError> {
        match self.json(i, true)? {
            None => Ok(None),
            Some(Value::String(s)) => s.parse::<i64>().map(Some).map_err(|_| {
                self.err(format!(
                    "invalid 64-bit integer encoding {s:?}: expected a decimal integer"
                ))
            }),
            Some(Value::Number(n)) => Err(self.err(format!(
                "invalid 64-bit integer encoding \"{n}\", expected string"
            ))),
            Some(other) => Err(self.err(format!(
                "cannot read {} as a 64-bit integer",
                json_kind(&other)
            ))),
        }
    }

    /// A `bool` parameter.
    pub fn boolean(&self, i: usize) -> Result<Option<bool>, RpcError> {
        match self.json(i, false)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(self.err(format!(
                "json: cannot unmarshal {} into Go value of type bool",
                json_kind(&other)
            ))),
        }
    }

    /// A `string` parameter (`0x` hex gives the bytes' text in a URI).
    pub fn string(&self, i: usize) -> Result<Option<String>, RpcError> {
        if let Some(Raw::Uri(s)) = self.raw(i) {
            if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                let bytes =
                    hex_decode(hex).ok_or_else(|| self.err(format!("invalid hex {s:?}")))?;
                return String::from_utf8(bytes)
                    .map(Some)
                    .map_err(|_| self.err(format!("{s:?} is not UTF-8 text")));
            }
        }
        match self.json(i, false)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.err(format!(
                "json: cannot unmarshal {} into Go value of type string",
                json_kind(&other)
            ))),
        }
    }

    /// Bytes from a URI argument given as `0x` hex or a quoted string, if it is one.
    fn uri_bytes(&self, i: usize) -> Result<Option<Vec<u8>>, RpcError> {
        let Some(Raw::Uri(s)) = self.raw(i) else {
            return Ok(None);
        };
        if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            return hex_decode(hex)
                .map(Some)
                .ok_or_else(|| self.err(format!("encoding/hex: invalid hex string {s:?}")));
        }
        if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
            let text: String = serde_json::from_str(s)
                .map_err(|e| self.err(format!("invalid quoted string {s:?}: {e}")))?;
            return Ok(Some(text.into_bytes()));
        }
        Ok(None)
    }

    /// A `[]byte` parameter: base64 in JSON.
    pub fn bytes(&self, i: usize) -> Result<Option<Vec<u8>>, RpcError> {
        if let Some(b) = self.uri_bytes(i)? {
            return Ok(Some(b));
        }
        match self.json(i, false)? {
            None => Ok(None),
            Some(Value::String(s)) => base64_decode(&s)
                .map(Some)
                .ok_or_else(|| self.err(format!("illegal base64 data in {s:?}"))),
            Some(other) => Err(self.err(format!(
                "json: cannot unmarshal {} into Go value of type []uint8",
                json_kind(&other)
            ))),
        }
    }

    /// A `HexBytes` parameter: hex in JSON.
    pub fn hex_bytes(&self, i: usize) -> Result<Option<Vec<u8>>, RpcError> {
        if let Some(b) = self.uri_bytes(i)? {
            return Ok(Some(b));
        }
        if let Some(Raw::Uri(s)) = self.raw(i) {
            return Err(self.err(format!("invalid hex string: {s}")));
        }
        match self.json(i, false)? {
            None => Ok(None),
            Some(Value::String(s)) => hex_decode(&s)
                .map(Some)
                .ok_or_else(|| self.err(format!("encoding/hex: invalid hex string {s:?}"))),
            Some(other) => Err(self.err(format!(
                "json: cannot unmarshal {} into Go value of type bytes.HexBytes",
                json_kind(&other)
            ))),
        }
    }
}

/// Percent-decodes a query component as Go's `url.QueryUnescape` (`+` is a space); `None`
/// for a bad escape.
pub fn query_unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(*hex_decode(hex)?.first()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// A query string's arguments (the first value of each name), or the name of a bad one.
pub fn parse_query(query: &str) -> Result<HashMap<String, String>, String> {
    let mut args = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = query_unescape(k).ok_or_else(|| format!("invalid URL escape in {k:?}"))?;
        let v = query_unescape(v).ok_or_else(|| format!("invalid URL escape in {v:?}"))?;
        args.entry(k).or_insert(v);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn uri(pairs: &[(&str, &str)]) -> Params {
        Params::Uri(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn integers_are_strings_in_json_and_bare_or_quoted_in_uris() {
        let p = Params::Json(Some(json!({"height": "5"})));
        assert_eq!(p.bind(&["height"]).unwrap().int64(0).unwrap(), Some(5));
        let p = Params::Json(Some(json!({"height": 5})));
        let e = p.bind(&["height"]).unwrap().int64(0).unwrap_err();
        assert_eq!(e.code, -32602);
        assert!(e.data.contains("expected string"), "{}", e.data);
        let p = Params::Json(Some(json!(["7"])));
        assert_eq!(p.bind(&["height"]).unwrap().int64(0).unwrap(), Some(7));
        assert_eq!(
            Params::Json(Some(json!(["7", "8"])))
                .bind(&["height"])
                .unwrap_err()
                .code,
            -32602
        );
        assert_eq!(
            Params::Json(Some(json!(5)))
                .bind(&["height"])
                .unwrap_err()
                .code,
            -32602
        );
        for (arg, want) in [
            ("5", Some(5)),
            ("\"6\"", Some(6)),
            ("", None),
            ("-1", Some(-1)),
        ] {
            let b = uri(&[("height", arg)]).bind(&["height"]).unwrap();
            assert_eq!(b.int64(0).unwrap(), want, "{arg}");
        }
        for bad in ["abc", "3.0", "0x10", "true"] {
            let b = uri(&[("height", bad)]).bind(&["height"]).unwrap();
            let e = b.int64(0).unwrap_err();
            assert_eq!(e.code, -32602);
            assert!(
                e.data.starts_with("error converting http params"),
                "{}",
                e.data
            );
        }
    }

    #[test]
    fn bytes_are_base64_in_json_and_hex_or_quoted_in_uris() {
        let b = Params::Json(Some(json!({"tx": "a2V5PXZhbHVl"})))
            .bind(&["tx"])
            .unwrap();
        assert_eq!(b.bytes(0).unwrap().unwrap(), b"key=value");
        let b = Params::Json(Some(json!({"tx": "not base64!"})))
            .bind(&["tx"])
            .unwrap();
        assert_eq!(b.bytes(0).unwrap_err().code, -32602);
        let b = uri(&[("tx", "0x6b3d76"), ("t2", "\"k=v\""), ("t3", "k=v")]);
        let b = b.bind(&["tx", "t2", "t3"]).unwrap();
        assert_eq!(b.bytes(0).unwrap().unwrap(), b"k=v");
        assert_eq!(b.bytes(1).unwrap().unwrap(), b"k=v");
        assert_eq!(b.bytes(2).unwrap_err().code, -32602);
        // HexBytes: hex in JSON, not base64.
        let b = Params::Json(Some(json!({"data": "6E616D65"})))
            .bind(&["data"])
            .unwrap();
        assert_eq!(b.hex_bytes(0).unwrap().unwrap(), b"name");
        let b = Params::Json(Some(json!({"data": "bmFtZQ=="})))
            .bind(&["data"])
            .unwrap();
        assert_eq!(b.hex_bytes(0).unwrap_err().code, -32602);
    }

    #[test]
    fn strings_and_booleans() {
        let b = uri(&[("path", "\"/store\""), ("prove", "true"), ("p2", "/store")]);
        let b = b.bind(&["path", "prove", "p2", "missing"]).unwrap();
        assert_eq!(b.string(0).unwrap().unwrap(), "/store");
        assert_eq!(b.boolean(1).unwrap(), Some(true));
        assert_eq!(b.string(2).unwrap_err().code, -32602);
        assert_eq!(b.string(3).unwrap(), None);
        let b = uri(&[("prove", "1")]).bind(&["prove"]).unwrap();
        assert_eq!(b.boolean(0).unwrap_err().code, -32602);
    }

    #[test]
    fn query_strings_decode_as_go_does() {
        let q = parse_query("path=%22%2Fstore%22&data=0x6E&x=a+b&path=ignored").unwrap();
        assert_eq!(q["path"], "\"/store\"");
        assert_eq!(q["data"], "0x6E");
        assert_eq!(q["x"], "a b");
        assert!(parse_query("a=%zz").is_err());
        assert!(parse_query("a=%2").is_err());
    }
}
