//! `novation quote option`: prices a European option with the protocol's own integer
//! Black-76 (crate `novation-math`), so a trader sees exactly what the chain computes.
//!
//! Conventions: Black-76 on the forward, discounted at `rate` (continuous compounding);
//! T = expiry-days / 365; delta is with respect to the forward (discounted); vega is per
//! 1.00 of volatility; theta is per year of calendar time (negative for a long option
//! without rates). With `--price` instead of `--vol`, the implied volatility is solved for
//! and reported as `iv`, with the Greeks at that volatility.

use clap::{Args, ValueEnum};
use novation_math::black76::{implied_vol, price_and_greeks};
use novation_math::{Black76Market, Decimal, OptionKind, Rounding};

use crate::error::{CliError, CliResult};
use crate::Context;

/// Call or put.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    /// The right to buy at the strike.
    Call,
    /// The right to sell at the strike.
    Put,
}

/// `novation quote option`.
#[derive(Debug, Args)]
pub(crate) struct OptionQuoteArgs {
    /// Forward price F.
    #[arg(long)]
    pub(crate) forward: String,
    /// Strike K.
    #[arg(long)]
    pub(crate) strike: String,
    /// Annualised volatility (0.6 is 60%); give this or --price.
    #[arg(long, conflicts_with = "price", required_unless_present = "price")]
    pub(crate) vol: Option<String>,
    /// Option price, to solve for the implied volatility instead.
    #[arg(long)]
    pub(crate) price: Option<String>,
    /// Days to expiry (T = days / 365).
    #[arg(long)]
    pub(crate) expiry_days: String,
    /// Continuously compounded rate (0.05 is 5%).
    #[arg(long, default_value = "0")]
    pub(crate) rate: String,
    /// Call or put.
    #[arg(long, value_enum)]
    pub(crate) kind: Kind,
}

fn number(name: &str, text: &str) -> CliResult<Decimal> {
    text.parse().map_err(|_| CliError::Usage(format!("--{name}: {text:?} is not a decimal number")))
}

/// Runs `novation quote option`.
pub(crate) fn run_option(ctx: &Context, args: &OptionQuoteArgs) -> CliResult<()> {
    let days = number("expiry-days", &args.expiry_days)?;
    let time_years = days
        .div(Decimal::from_int(365), Rounding::HalfEven)
        .map_err(|_| CliError::Usage("--expiry-days out of range".into()))?;
    let market = Black76Market {
        forward: number("forward", &args.forward)?,
        strike: number("strike", &args.strike)?,
        time_years,
        rate: number("rate", &args.rate)?,
    };
    let kind = match args.kind {
        Kind::Call => OptionKind::Call,
        Kind::Put => OptionKind::Put,
    };
    let math_error = |e: novation_math::MathError| CliError::Input(format!("cannot price this option: {e}"));
    let (vol, implied) = match (&args.vol, &args.price) {
        (Some(vol), _) => (number("vol", vol)?, false),
        (None, Some(price)) => (implied_vol(&market, number("price", price)?, kind).map_err(math_error)?, true),
        (None, None) => return Err(CliError::Usage("give --vol or --price".into())),
    };
    let valuation = price_and_greeks(&market.with_vol(vol), kind).map_err(math_error)?;
    let greeks = valuation.greeks;
    // Decimal's text is a valid JSON number with all 18 decimals: no float rounding.
    let mut fields = vec![
        ("price", valuation.price),
        ("delta", greeks.delta),
        ("gamma", greeks.gamma),
        ("vega", greeks.vega),
        ("theta", greeks.theta),
    ];
    if implied {
        fields.push(("iv", vol));
    }
    if ctx.json {
        let body: Vec<String> = fields.iter().map(|(name, value)| format!("\"{name}\":{value}")).collect();
        ctx.print(&format!("{{{}}}\n", body.join(",")));
    } else {
        let text: String = fields.iter().map(|(name, value)| format!("{name:<6} {value}\n")).collect();
        ctx.print(&text);
    }
    Ok(())
}
