//! Identifiers: addresses, subaccounts, assets, markets, orders and ledger accounts.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A 20-byte account address (the same shape as an Ethereum address).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// An address whose last eight bytes hold `n` (convenient for tests and seeded devnets).
    pub fn from_index(n: u64) -> Self {
        let mut bytes = [0u8; 20];
        bytes[12..].copy_from_slice(&n.to_be_bytes());
        Address(bytes)
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AssetId(pub u16);

/// A listed market (a perpetual future for now).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MarketId(pub u16);

/// An order, numbered by the protocol in the order orders are accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OrderId(pub u64);

/// A side of the collateral ledger. Every movement of value is a transfer between two of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    /// so its balance always equals minus the sum of all unrealised PnL.
    Settlement,
}
