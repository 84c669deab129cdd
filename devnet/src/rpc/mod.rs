//! CometBFT v0.38's JSON-RPC, as its `rpc/jsonrpc/server` speaks it.
//!
//! * `POST /` with a JSON-RPC 2.0 request or a batch (an array): answered with HTTP 200 and
//!   the response (an array for a batch). Requests without an `id` (or with `"id": null`) are
//!   notifications: not run, not answered (a batch of notifications only, or `[]`, gets an
//!   empty 200). An `id` may be a string or a number (a fraction is truncated); any other `id`
//!   fails the whole request as a parse error. `jsonrpc` is not checked, as CometBFT does not.
//! * `GET /<method>?name=value&...` (any HTTP method on `/<method>`): the URI form, answered
//!   with `"id": -1`, HTTP 200, or HTTP 500 on an error. An unknown path is HTTP 404 with the
//!   text `404 page not found`; `GET /` lists the endpoints (HTML).
//!
//! Errors ([`RpcError`]) carry CometBFT's codes and messages: -32700 `Parse error. Invalid
//! JSON` (HTTP 500, no `id`), -32600 `Invalid Request` (a body over the size limit: HTTP 400),
//! -32601 `Method not found`, -32602 `Invalid params`, -32603 `Internal error` (what the
//! method refused: a height above the chain's, a transaction not found, a full mempool); the
//! `data` says why.

pub mod codec;
pub mod json;
pub mod methods;
pub mod params;

use serde_json::Value;

use params::Params;

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcError {
    /// The code (CometBFT's: -32700, -32600, -32601, -32602, -32603).
    pub code: i32,
    /// The code's fixed message.
    pub message: &'static str,
    /// What went wrong (omitted when empty).
    pub data: String,
}

impl RpcError {
    /// -32700: the body is not a JSON-RPC request.
    pub fn parse(data: impl Into<String>) -> Self {
        RpcError {
            code: -32700,
            message: "Parse error. Invalid JSON",
            data: format!("error unmarshaling request: {}", data.into()),
        }
    }

    /// -32600: the request cannot be read (too large).
    pub fn invalid_request(data: impl Into<String>) -> Self {
        RpcError {
            code: -32600,
            message: "Invalid Request",
            data: data.into(),
        }
    }

    /// -32601.
    pub fn method_not_found() -> Self {
        RpcError {
            code: -32601,
            message: "Method not found",
            data: String::new(),
        }
    }

    /// -32602, with CometBFT's prefix for the JSON or URI form.
    pub fn invalid_params(uri: bool, data: impl Into<String>) -> Self {
        let form = if uri { "http" } else { "json" };
        RpcError {
            code: -32602,
            message: "Invalid params",
            data: format!(
                "error converting {form} params to arguments: {}",
                data.into()
            ),
        }
    }

    /// -32603: the method refused the request.
    pub fn internal(data: impl Into<String>) -> Self {
        RpcError {
            code: -32603,
            message: "Internal error",
            data: data.into(),
        }
    }

    /// `{"code":C,"message":M,"data":D}`, in CometBFT's order, `data` omitted when empty.
    fn to_json(&self) -> String {
        let mut out = format!(
            "{{\"code\":{},\"message\":{}",
            self.code,
            Value::from(self.message)
        );
        if !self.data.is_empty() {
            out.push_str(",\"data\":");
            out.push_str(&Value::from(self.data.as_str()).to_string());
        }
        out.push('}');
        out
    }
}

/// A request id: a number or a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Id {
    /// A numeric id (fractions truncated).
    Int(i64),
    /// A string id.
    Str(String),
}

impl Id {
    fn to_json(&self) -> String {
        match self {
            Id::Int(i) => i.to_string(),
            Id::Str(s) => Value::from(s.as_str()).to_string(),
        }
    }
}

/// One JSON-RPC call of a request.
#[derive(Clone, Debug)]
pub struct Call {
    /// Its id; `None` for a notification (not answered).
    pub id: Option<Id>,
    /// The method (`""` when missing: not found).
    pub method: String,
    /// The params.
    pub params: Params,
}

/// A parsed `POST` body.
#[derive(Debug)]
pub struct Request {
    /// The calls.
    pub calls: Vec<Call>,
    /// Whether it was a batch (answered with an array).
    pub batch: bool,
}

fn parse_call(v: &Value) -> Result<Call, RpcError> {
    let Value::Object(obj) = v else {
        return Err(RpcError::parse(format!(
            "a request must be a JSON object, not {v}"
        )));
    };
    let id = match obj.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(Id::Int(match n.as_i64() {
            Some(i) => i,
            // Go unmarshals into float64 and converts: truncation, saturating.
            None => n.as_f64().map_or(0, |f| f as i64),
        })),
        Some(Value::String(s)) => Some(Id::Str(s.clone())),
        Some(other) => {
            return Err(RpcError::parse(format!(
                "json-rpc ID ({other}) is of unknown type"
            )))
        }
    };
    let method = match obj.get("method") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(RpcError::parse(format!(
                "method must be a string, not {other}"
            )))
        }
    };
    Ok(Call {
        id,
        method,
        params: Params::Json(obj.get("params").cloned()),
    })
}

/// Parses a `POST` body: one request or a batch.
pub fn parse_request(body: &[u8]) -> Result<Request, RpcError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| RpcError::parse(e.to_string()))?;
    match &v {
        Value::Array(items) => Ok(Request {
            calls: items.iter().map(parse_call).collect::<Result<_, _>>()?,
            batch: true,
        }),
        _ => Ok(Request {
            calls: vec![parse_call(&v)?],
            batch: false,
        }),
    }
}

/// A response object: `{"jsonrpc":"2.0","id":ID,"result":R}` or with `"error"`. `result` is
/// the result's JSON text. `id` is omitted when `None` (parse errors).
pub fn envelope(id: Option<&Id>, outcome: &Result<String, RpcError>) -> String {
    let mut out = String::from("{\"jsonrpc\":\"2.0\"");
    if let Some(id) = id {
        out.push_str(",\"id\":");
        out.push_str(&id.to_json());
    }
    match outcome {
        Ok(result) => {
            out.push_str(",\"result\":");
            out.push_str(result);
        }
        Err(e) => {
            out.push_str(",\"error\":");
            out.push_str(&e.to_json());
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_as_cometbft_reads_them() {
        let r = parse_request(br#"{"jsonrpc":"2.0","id":"x","method":"health"}"#).unwrap();
        assert!(!r.batch);
        assert_eq!(r.calls[0].id, Some(Id::Str("x".into())));
        let r = parse_request(br#"[{"id":1.7,"method":"a"},{"method":"b"},{"id":null}]"#).unwrap();
        assert!(r.batch);
        assert_eq!(r.calls[0].id, Some(Id::Int(1)));
        assert_eq!(r.calls[1].id, None);
        assert_eq!(r.calls[2].method, "");
        for bad in [&b"garbage"[..], b"5", b"[5]", br#"{"id":{"a":1}}"#, b""] {
            assert_eq!(parse_request(bad).unwrap_err().code, -32700);
        }
    }

    #[test]
    fn envelopes_match_cometbft() {
        let id = Id::Int(-1);
        assert_eq!(
            envelope(Some(&id), &Ok("{}".into())),
            r#"{"jsonrpc":"2.0","id":-1,"result":{}}"#
        );
        assert_eq!(
            envelope(
                Some(&Id::Str("a\"b".into())),
                &Err(RpcError::method_not_found())
            ),
            r#"{"jsonrpc":"2.0","id":"a\"b","error":{"code":-32601,"message":"Method not found"}}"#
        );
        let e = envelope(None, &Err(RpcError::parse("x")));
        assert!(
            e.starts_with(r#"{"jsonrpc":"2.0","error":{"code":-32700"#),
            "{e}"
        );
    }
}
