//! The foundations of TPMS, below everything else: typed ids and closed value sets, the one error
//! type and its problem+json answer, who is calling (`Caller`, `Role`), the typed configuration,
//! time, text folding, dates known to a day, a month or a year, validation rules, how values look
//! on the wire, rates, exact money (currencies, amounts in minor units, exchange rates), the seed
//! documents' provenance, and tables written as CSV or Excel.
//!
//! A crate of its own so that the compiler keeps it at the bottom: nothing here can name storage,
//! the domain or HTTP. The service's crate re-exports each module at its root, so `crate::ids`
//! reads the same there.

pub mod access;
pub mod clock;
pub mod config;
pub mod dates;
pub mod error;
pub mod ids;
pub mod messages;
pub mod money;
pub mod provenance;
pub mod ratio;
pub mod tabular;
pub mod text;
pub mod texts;
pub mod validate;
pub mod wire;
