//! The devnet's dated BTC series: a series schedule keeps the next two weekly expiries
//! (Fridays 08:00 UTC, as on Deribit, at least a day away) listed, each with a dated future
//! and calls and puts at five round strikes (5,000 apart) around the BTC index at listing
//! time. The protocol lists them as time passes, so a long-running devnet always has series
//! to trade.

use novation_math::Decimal;
use novation_protocol::params::SeriesSchedule;
use novation_protocol::presets::{BTC, BTC_PERP};

/// The simulated BTC price the feed starts from, in whole USD.
pub(crate) const BTC_START_PRICE_USD: i64 = 60_000;

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;
/// Friday 1970-01-02 08:00 UTC (the Unix epoch was a Thursday).
const FRIDAY_0800_MS: u64 = DAY_MS + 8 * HOUR_MS;

/// Weekly BTC futures and options, two expiries ahead.
pub(crate) fn btc_weekly_schedule() -> SeriesSchedule {
    SeriesSchedule {
        underlying: BTC,
        anchor_ms: FRIDAY_0800_MS,
        interval_ms: 7 * DAY_MS,
        expiries_ahead: 2,
        min_lead_ms: DAY_MS,
        future: true,
        strike_step: Decimal::from_int(5_000),
        strikes_each_side: 2,
        template: BTC_PERP,
        option_tick_size: Decimal::from_raw(100_000_000_000_000_000),
        option_lot_size: Decimal::from_raw(10_000_000_000_000_000),
    }
}

#[cfg(test)]
mod tests {
    use novation_protocol::{Block, BlockHeader, State};
    use novation_types::{Action, Transaction};

    /// 2026-11-24 19:00 UTC, a Tuesday.
    const TUESDAY_MS: u64 = 1_795_546_800_000;

    #[test]
    fn the_devnet_lists_weekly_futures_and_options_once_btc_is_priced() {
        let genesis = crate::devnet::devnet_genesis_with_series(&[novation_types::Address::from_index(1)]);
        let publishers: Vec<_> = genesis.publishers.iter().map(|p| p.address).collect();
        let mut state = State::new(genesis).unwrap();
        let price = novation_math::Decimal::from_int(super::BTC_START_PRICE_USD);
        let transactions = publishers
            .iter()
            .map(|p| {
                let report = Action::PriceReport(novation_types::action::PriceReport {
                    asset: super::BTC,
                    price,
                    confidence: novation_math::Decimal::ZERO,
                    publish_time_ms: TUESDAY_MS,
                });
                Transaction::new(*p, 0, vec![report])
            })
            .collect();
        state
            .apply_block(&Block {
                header: BlockHeader { height: 1, time_ms: TUESDAY_MS },
                transactions,
                prices: Vec::new(),
            })
            .unwrap();
        let symbols: Vec<String> = state.list_series().into_iter().map(|s| s.symbol).collect();
        assert_eq!(symbols.len(), 22, "{symbols:?}");
        assert!(symbols.contains(&"BTC-27NOV26".to_string()), "{symbols:?}");
        assert!(symbols.contains(&"BTC-4DEC26-60000-P".to_string()), "{symbols:?}");
        assert!(symbols.contains(&"BTC-27NOV26-50000-C".to_string()), "{symbols:?}");
    }
}
