//! What the parameters commit: `StateKey::Component(Params)` (bytes `0x00 0x01`), every
//! field of [`ChainParams`], so two nodes with different parameters never agree on a root.

use super::ChainParams;
use crate::commitment::{encode, Committed, ComponentKey};

impl Committed for ChainParams {
    fn key(&self) -> ComponentKey {
        ComponentKey::Params
    }

    fn committed_bytes(&self) -> Vec<u8> {
        // Named field by field so a new parameter cannot be left out.
        let ChainParams {
            quote_asset,
            assets,
            markets,
            oracle,
            publishers,
            limits,
            liquidation,
            derivatives,
            series_schedules,
            settlement,
            hyperliquid,
        } = self;
        encode(&(
            quote_asset,
            assets,
            markets,
            oracle,
            publishers,
            limits,
            liquidation,
            derivatives,
            series_schedules,
            settlement,
            hyperliquid,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Every leaf of the JSON form of `value`, as a path of keys and indexes.
    fn leaves(value: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    path.push(Value::String(key.clone()));
                    leaves(child, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    path.push(Value::from(index));
                    leaves(child, path, out);
                    path.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }

    fn leaf_mut<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
        path.iter().fold(value, |node, step| match step {
            Value::String(key) => &mut node[key.as_str()],
            other => &mut node[other.as_u64().unwrap_or(0) as usize],
        })
    }

    /// A different value of the same shape (so it still deserialises).
    fn nudge(leaf: &Value) -> Option<Value> {
        match leaf {
            Value::Bool(b) => Some(Value::Bool(!b)),
            Value::Number(n) if n.is_u64() => Some(Value::from(n.as_u64()? ^ 1)),
            Value::Number(n) => Some(Value::from(n.as_i64()? ^ 1)),
            Value::String(s) if s.starts_with("0x") => {
                let flipped = if s.ends_with('0') { "1" } else { "0" };
                Some(Value::String(format!("{}{flipped}", &s[..s.len() - 1])))
            }
            Value::String(s) if s.parse::<novation_math::Decimal>().is_ok() => Some(Value::String(format!("{s}1"))),
            Value::String(s) => Some(Value::String(format!("{s}X"))),
            Value::Null => None,
            _ => None,
        }
    }

    #[test]
    fn changing_any_single_parameter_changes_the_committed_bytes() {
        let publishers = [novation_types::Address::from_index(1)];
        let mut params = ChainParams::example(&publishers);
        params.list_future(crate::presets::BTC, 1_000_000);
        params.list_option(
            crate::presets::BTC,
            1_000_000,
            novation_math::Decimal::from_int(100),
            super::super::OptionRight::Put,
        );
        params.series_schedules.push(super::super::SeriesSchedule {
            underlying: crate::presets::BTC,
            anchor_ms: 7,
            interval_ms: 9,
            expiries_ahead: 2,
            min_lead_ms: 3,
            future: true,
            strike_step: novation_math::Decimal::from_int(5),
            strikes_each_side: 2,
            template: crate::presets::BTC_PERP,
            option_tick_size: novation_math::Decimal::ONE,
            option_lot_size: novation_math::Decimal::ONE,
        });
        let original = serde_json::to_value(&params).unwrap();
        let committed = params.committed_bytes();
        let mut paths = Vec::new();
        leaves(&original, &mut Vec::new(), &mut paths);
        let mut checked = 0;
        for path in &paths {
            let mut changed = original.clone();
            let leaf = leaf_mut(&mut changed, path);
            let Some(next) = nudge(leaf) else { continue };
            *leaf = next;
            let Ok(changed) = serde_json::from_value::<ChainParams>(changed) else { continue };
            if changed == params {
                continue;
            }
            assert_ne!(changed.committed_bytes(), committed, "parameter {path:?} escapes the state root");
            checked += 1;
        }
        assert!(checked > 100, "only {checked} of {} parameters were exercised", paths.len());
    }
}
