//! Identifiers: addresses, subaccounts, assets, markets, orders and ledger accounts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A 20-byte account address (the same shape as an Ethereum address). In JSON it is a
/// `0x`-prefixed hex string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Address(pub [u8; 20]);

/// Why a text is not an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidAddress;

impl fmt::Display for InvalidAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an address is 0x followed by 40 hex digits")
    }
}

impl std::error::Error for InvalidAddress {}

impl std::str::FromStr for Address {
    type Err = InvalidAddress;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let hex = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
        if hex.len() != 40 || !hex.is_ascii() {
            return Err(InvalidAddress);
        }
        let mut bytes = [0u8; 20];
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * index..2 * index + 2], 16).map_err(|_| InvalidAddress)?;
        }
        Ok(Address(bytes))
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            self.0.serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
            text.parse().map_err(serde::de::Error::custom)
        } else {
            <[u8; 20]>::deserialize(deserializer).map(Address)
        }
    }
}

/// The JSON Schema of an address as JSON carries it: `0x` and 40 hex digits. Addresses are
/// written in lower case; either case is read.
impl JsonSchema for Address {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Address".into()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        "novation_types::Address".into()
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A 20-byte account address: \"0x\" followed by 40 hex digits (written in lower case, read in either).",
            "type": "string",
            "pattern": ADDRESS_PATTERN,
            "examples": ["0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"],
        })
    }
}

/// The regular expression every address's JSON text matches.
pub const ADDRESS_PATTERN: &str = "^0x[0-9a-fA-F]{40}$";

impl Address {
    /// The address as three big-endian words: comparing them compares the bytes in order,
    /// with three integer comparisons instead of a call to `memcmp` (addresses are map keys
    /// on every hot path).
    #[inline]
    fn words(&self) -> (u64, u64, u32) {
        let b = &self.0;
        (
            u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            u64::from_be_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]),
            u32::from_be_bytes([b[16], b[17], b[18], b[19]]),
        )
    }

    /// An address whose last eight bytes hold `n` (convenient for tests and seeded devnets).
    pub fn from_index(n: u64) -> Self {
        let mut bytes = [0u8; 20];
        bytes[12..].copy_from_slice(&n.to_be_bytes());
        Address(bytes)
    }
}

impl Ord for Address {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.words().cmp(&other.words())
    }
}

impl PartialOrd for Address {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// One numbered subaccount of an address; margin is computed per subaccount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub struct SubaccountId {
    /// The owning address.
    pub owner: Address,
    /// The subaccount number (0 is the default subaccount).
    pub number: u16,
}

impl SubaccountId {
    /// Subaccount `number` of `owner`.
    pub const fn new(owner: Address, number: u16) -> Self {
        SubaccountId { owner, number }
    }
}

impl fmt::Display for SubaccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.number)
    }
}

/// A collateral asset (USD stablecoin, BTC, ETH, ...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub struct AssetId(pub u16);

/// A listed market (a perpetual future for now).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub struct MarketId(pub u16);

/// An order, numbered by the protocol in the order orders are accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub struct OrderId(pub u64);

/// A side of the collateral ledger. Every movement of value is a transfer between two of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub enum LedgerAccount {
    /// Value entering or leaving the chain: deposits are transfers from it, withdrawals to it.
    /// Its balance is always `-(deposits - withdrawals)`.
    External,
    /// A trader's subaccount.
    Subaccount(SubaccountId),
    /// Trading fees collected (net of maker rebates).
    FeePool,
    /// The insurance fund.
    InsuranceFund,
    /// The counterparty of realised PnL: it pays realised gains and receives realised losses,
    /// so its balance always equals the sum of all unrealised PnL (what it still owes the
    /// winners net of what the losers still owe it).
    Settlement,
    /// Losses no one has absorbed yet. A bankrupt subaccount's remaining deficit is posted
    /// from it (so its balance is minus the unresolved bad debt) and covering the loss posts
    /// into it; withdrawals wait while it is negative.
    BadDebt,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_order_like_their_bytes() {
        let samples = [
            [0u8; 20],
            [255; 20],
            Address::from_index(7).0,
            Address::from_index(u64::MAX).0,
            {
                let mut b = [0u8; 20];
                b[0] = 1;
                b
            },
            {
                let mut b = [9u8; 20];
                b[19] = 0;
                b
            },
        ];
        for a in samples {
            for b in samples {
                assert_eq!(Address(a).cmp(&Address(b)), a.cmp(&b));
            }
        }
    }
}
