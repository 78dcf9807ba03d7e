//! The order load the chain suites share (`node`, `consensus`): funded signers, resting
//! limit orders on BTC-PERP around a mid price that never cross, and transactions signed in
//! advance (untimed), as a client would.

use novation_protocol::presets::{BTC_PERP, USD};
use novation_tx::{Eip712Signer, SignedTransaction, TxPayload};
use novation_types::action;
use novation_types::{Action, OrderAction, OrderRequest, Side};

/// Orders per batched transaction.
pub(crate) const BATCH: u64 = 50;

/// USD each signer deposits before it trades.
pub(crate) const DEPOSIT_USD: i64 = 10_000_000;

/// How far below (buys) or above (sells) the mid the nearest order rests, in ticks (1,000
/// USD on BTC-PERP: about 1.7% at 60,000, inside the ±10% price band).
const SPREAD_TICKS: u64 = 10_000;

/// BTC-PERP ticks per USD.
pub(crate) const BTC_TICKS_PER_USD: u64 = 10;

/// `count` signers whose keys derive from `label`.
pub(crate) fn signers(label: &str, count: usize) -> Vec<Eip712Signer> {
    (0..count).map(|i| Eip712Signer::from_seed(novation_node::sha256(format!("{label}-{i}").as_bytes()))).collect()
}

pub(crate) fn sign(chain_id: u64, key: &Eip712Signer, nonce: u64, actions: Vec<Action>) -> SignedTransaction {
    key.sign(&TxPayload::new(chain_id, key.address(), nonce, actions))
}

/// A deposit of [`DEPOSIT_USD`] into subaccount 0.
pub(crate) fn deposit() -> Action {
    Action::Deposit(action::Deposit {
        subaccount: 0,
        asset: USD,
        amount: novation_math::Decimal::from_int(DEPOSIT_USD),
    })
}

/// Order `index` of `signer`: one lot resting at most 600 ticks beyond the spread around
/// `mid_ticks`, buys below and sells above, so no two orders of the load ever cross.
pub(crate) fn order(signer: usize, index: u64, mid_ticks: u64) -> OrderAction {
    let offset = index % 500 + (signer as u64 % 100);
    let (side, ticks) = if (signer as u64 + index).is_multiple_of(2) {
        (Side::Buy, mid_ticks - SPREAD_TICKS - offset)
    } else {
        (Side::Sell, mid_ticks + SPREAD_TICKS + offset)
    };
    OrderAction::Place(OrderRequest::limit(0, BTC_PERP, side, ticks, 1))
}

/// Signer `signer`'s batched transaction with nonce `nonce`: [`BATCH`] orders, numbered
/// from `first_order`.
pub(crate) fn batched(
    chain_id: u64,
    key: &Eip712Signer,
    signer: usize,
    nonce: u64,
    first_order: u64,
    mid_ticks: u64,
) -> SignedTransaction {
    let orders = (first_order..first_order + BATCH).map(|j| order(signer, j, mid_ticks)).collect();
    sign(chain_id, key, nonce, vec![Action::Batch(orders)])
}

/// The price publishers of a solo chain's genesis (`devnet_genesis(&addresses)`).
pub(crate) fn publishers() -> Vec<Eip712Signer> {
    signers("novation-bench-publisher", 3)
}

/// Every publisher submits its `nonce`-th report: BTC at `btc_usd`, ETH at 3,000, published
/// at `time_ms`.
pub(crate) fn report_prices(
    node: &novation_node::Node,
    chain_id: u64,
    publishers: &[Eip712Signer],
    nonce: u64,
    btc_usd: i64,
    time_ms: u64,
) -> Result<(), String> {
    use novation_protocol::presets::{BTC, ETH};
    for publisher in publishers {
        let report = |asset, price: i64| {
            Action::PriceReport(action::PriceReport {
                asset,
                price: novation_math::Decimal::from_int(price),
                confidence: novation_math::Decimal::ONE,
                publish_time_ms: time_ms,
            })
        };
        let reports = vec![report(BTC, btc_usd), report(ETH, 3_000)];
        node.submit(sign(chain_id, publisher, nonce, reports)).map_err(|e| e.to_string())?;
    }
    Ok(())
}
