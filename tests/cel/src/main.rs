// Copyright: (c) 2026, modelserving.maas contributors
// GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
//
// A long-running CEL evaluator for the collection's tests, built on cel-rust, the engine Kuadrant's
// wasm-shim uses for TokenRateLimitPolicy predicates.
//
// Reads JSON lines `{"expr": "...", "activation": {...}}` on stdin and prints one JSON line per
// input: `{"ok": true, "value": <result>}` or `{"ok": false, "error": "..."}`. Each top-level key
// of the activation becomes a CEL variable (`request`, `auth`, ...). `{"expr": "...", "parse": true}`
// only parses. The wasm-shim registers its own string extensions (`split`, `join`, ...) on every
// context; `split`, `join` and `replace` are registered here the same way (Authorino's
// cel-go has them through its strings extension).

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::sync::Arc;

use cel::extractors::This;
use cel::objects::{Key, Map, Value};
use cel::{Context, ExecutionError, Program};
use serde_json::{json, Value as Json};

fn to_cel(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::UInt(u)
            } else {
                Value::Float(n.as_f64().unwrap_or(0.0))
            }
        }
        Json::String(s) => Value::String(Arc::new(s.clone())),
        Json::Array(items) => Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Json::Object(obj) => {
            let map: HashMap<Key, Value> = obj
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            Value::Map(Map { map: Arc::new(map) })
        }
    }
}

fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Float(f) => json!(f),
        Value::String(s) => json!(s.as_str()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m.map.iter() {
                let key = match k {
                    Key::String(s) => s.to_string(),
                    Key::Int(i) => i.to_string(),
                    Key::Uint(u) => u.to_string(),
                    Key::Bool(b) => b.to_string(),
                };
                out.insert(key, to_json(v));
            }
            Json::Object(out)
        }
        other => json!(format!("{other:?}")),
    }
}

fn split(This(this): This<Arc<String>>, sep: Arc<String>) -> Result<Value, ExecutionError> {
    let parts: Vec<Value> = this
        .split(sep.as_str())
        .map(|p| Value::String(Arc::new(p.to_string())))
        .collect();
    Ok(Value::List(Arc::new(parts)))
}

fn replace(This(this): This<Arc<String>>, from: Arc<String>, to: Arc<String>) -> Result<Value, ExecutionError> {
    Ok(Value::String(Arc::new(this.replace(from.as_str(), to.as_str()))))
}

fn join(This(this): This<Arc<Vec<Value>>>, sep: Arc<String>) -> Result<Value, ExecutionError> {
    let mut parts = Vec::with_capacity(this.len());
    for item in this.iter() {
        match item {
            Value::String(s) => parts.push(s.to_string()),
            other => {
                return Err(ExecutionError::function_error(
                    "join",
                    format!("join needs a list of strings, got {other:?}"),
                ))
            }
        }
    }
    Ok(Value::String(Arc::new(parts.join(sep.as_str()))))
}

fn evaluate(line: &str) -> Json {
    let request: Json = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"ok": false, "error": format!("bad input line: {e}")}),
    };
    let expr = request.get("expr").and_then(Json::as_str).unwrap_or("");
    let program = match Program::compile(expr) {
        Ok(p) => p,
        Err(e) => return json!({"ok": false, "error": format!("parse: {e}")}),
    };
    if request.get("parse").and_then(Json::as_bool).unwrap_or(false) {
        return json!({"ok": true, "value": null});
    }
    let mut ctx = Context::default();
    ctx.add_function("split", split);
    ctx.add_function("join", join);
    ctx.add_function("replace", replace);
    if let Some(Json::Object(vars)) = request.get("activation") {
        for (name, value) in vars {
            ctx.add_variable_from_value(name.as_str(), to_cel(value));
        }
    }
    match program.execute(&ctx) {
        Ok(value) => json!({"ok": true, "value": to_json(&value)}),
        Err(e) => json!({"ok": false, "error": format!("{e}")}),
    }
}

fn main() {
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let result = evaluate(&line);
        if writeln!(out, "{result}").and_then(|_| out.flush()).is_err() {
            break;
        }
    }
}
