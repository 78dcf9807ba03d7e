//! `novation`: the command-line tool of the novation chain.
//!
//! ```text
//!  novation devnet | node        run a chain (embedded node, until Ctrl-C)
//!  novation testnet init         write a validator network's homes (`node --home DIR/vI`)
//!  novation keys new|list|...    local signing keys in HOME/keys/*.json (0600)
//!  novation tx --key K <action>  sign, send (JSON-RPC), wait for the block, show events
//!  novation query <what>         read the chain through the node's JSON-RPC API
//!  novation watch book|account   a live terminal view from the WebSocket subscriptions
//! ```
//!
//! Every failure is a [`error::CliError`] with a message, a hint and an exit code (1: failure,
//! 2: usage, or a mistake refused before signing); the process never panics on input.
//! `--json` switches every command's output to the node's JSON, for scripts, and errors to
//! one line of JSON on stderr.
#![deny(missing_docs)]

/// mimalloc, keeping the memory it frees (see `novation_alloc`).
#[global_allocator]
static ALLOCATOR: novation_alloc::Allocator = novation_alloc::Allocator;

mod batch;
mod cli;
mod devnet;
mod error;
mod events;
mod explain;
mod history;
mod keys;
mod markets;
mod network;
mod query;
mod quote;
mod rpc;
mod table;
mod tx;
mod units;
mod watch;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use serde_json::Value;

use crate::cli::{Cli, Command, KeysCommand, QuoteCommand, TestnetCommand};
use crate::error::CliResult;
use crate::keys::{os_random_seed, KeyStore, Signer};
use crate::table::Table;

/// What every command needs from the global flags.
pub(crate) struct Context {
    /// The node's JSON-RPC address.
    pub(crate) rpc: String,
    /// Machine-readable output.
    pub(crate) json: bool,
    /// The home directory (keys, devnet data).
    pub(crate) home: PathBuf,
}

impl Context {
    /// Writes `text` to stdout; a closed pipe (`novation ... | head`) is not an error.
    pub(crate) fn print(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
    }

    /// Writes `value` as pretty JSON.
    pub(crate) fn print_json(&self, value: &Value) -> CliResult<()> {
        self.print(&format!("{value:#}\n"));
        Ok(())
    }
}

/// `~/.novation`, or `./.novation` where there is no home directory.
fn default_home() -> PathBuf {
    match std::env::var_os("HOME").filter(|home| !home.is_empty()) {
        Some(home) => PathBuf::from(home).join(".novation"),
        None => PathBuf::from(".novation"),
    }
}

fn main() -> ExitCode {
    novation_alloc::keep_freed_memory();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with exit code 0; usage errors to stderr with 2.
            let wants_json = std::env::args().any(|arg| arg == "--json");
            if wants_json && error.use_stderr() {
                let text = error.to_string();
                let first = text.lines().next().unwrap_or_default();
                let usage = error::CliError::Usage(first.trim_start_matches("error: ").to_string());
                let _ = writeln!(std::io::stderr(), "{}", usage.to_json());
            } else {
                let _ = error.print();
            }
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(error::EXIT_USAGE));
        }
    };
    let ctx = Context { rpc: cli.rpc.clone(), json: cli.json, home: cli.home.clone().unwrap_or_else(default_home) };
    match run(&ctx, &cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&ctx, &error);
            ExitCode::from(error.exit_code())
        }
    }
}

/// Writes `error` to stderr: `error: …` and `hint: …` lines, or with `--json` one line
/// `{"error": {"code", "node_code", "message", "hint"}}`.
fn report(ctx: &Context, error: &error::CliError) {
    let mut stderr = std::io::stderr().lock();
    if ctx.json {
        let _ = writeln!(stderr, "{}", error.to_json());
        return;
    }
    let _ = writeln!(stderr, "error: {error}");
    if let Some(hint) = error.hint() {
        let _ = writeln!(stderr, "hint: {hint}");
    }
}

fn run(ctx: &Context, command: &Command) -> CliResult<()> {
    match command {
        Command::Devnet(args) => devnet::run_devnet(ctx, args),
        Command::Node(args) => devnet::run_node(ctx, args),
        Command::Testnet(TestnetCommand::Init(args)) => network::run_testnet_init(ctx, args),
        Command::Keys(command) => run_keys(ctx, command),
        Command::Tx(args) => tx::run(ctx, args),
        Command::Query(command) => query::run(ctx, command),
        Command::Quote(QuoteCommand::Option(args)) => quote::run_option(ctx, args),
        Command::Watch(command) => watch::run(ctx, command),
    }
}

fn run_keys(ctx: &Context, command: &KeysCommand) -> CliResult<()> {
    let store = KeyStore::new(&ctx.home);
    match command {
        KeysCommand::New { name, scheme } => {
            let name = name.clone().unwrap_or_else(|| store.free_name());
            let key = store.save(&name, Signer::from_seed(*scheme, os_random_seed()?))?;
            if ctx.json {
                return ctx.print_json(&key.to_json(false));
            }
            ctx.print(&format!(
                "created key `{}` ({}): {}\n",
                key.name,
                scheme_name(&key.to_json(false)),
                key.signer.address()
            ));
            Ok(())
        }
        KeysCommand::Import { name, secret_hex, scheme } => {
            let key = store.save(name, Signer::from_hex(*scheme, secret_hex)?)?;
            if ctx.json {
                return ctx.print_json(&key.to_json(false));
            }
            ctx.print(&format!("imported key `{}`: {}\n", key.name, key.signer.address()));
            Ok(())
        }
        KeysCommand::List => {
            let keys = store.list()?;
            if ctx.json {
                return ctx.print_json(&Value::Array(keys.iter().map(|k| k.to_json(false)).collect()));
            }
            if keys.is_empty() {
                ctx.print("no keys yet: create one with `novation keys new`\n");
                return Ok(());
            }
            let mut table = Table::new(&["name", "scheme", "address"]);
            for key in &keys {
                let json = key.to_json(false);
                table.row([key.name.clone(), scheme_name(&json), key.signer.address().to_string()]);
            }
            ctx.print(&table.render());
            Ok(())
        }
        KeysCommand::Show { name, secret } => {
            let key = store.load(name)?;
            let json = key.to_json(*secret);
            if ctx.json {
                return ctx.print_json(&json);
            }
            let mut pairs = vec![
                ("name", key.name.clone()),
                ("scheme", scheme_name(&json)),
                ("address", key.signer.address().to_string()),
            ];
            if let Some(secret) = json.get("secret").and_then(Value::as_str) {
                pairs.push(("secret", secret.to_string()));
            }
            ctx.print(&table::key_values(&pairs));
            Ok(())
        }
    }
}

fn scheme_name(key_json: &Value) -> String {
    key_json.get("scheme").and_then(Value::as_str).unwrap_or("?").to_string()
}

#[cfg(test)]
mod tests {
    use crate::error::CliError;

    #[test]
    fn errors_map_to_their_exit_codes() {
        assert_eq!(CliError::Usage("x".into()).exit_code(), 2);
        assert_eq!(CliError::Input("x".into()).exit_code(), 1);
        assert_eq!(CliError::Rpc { code: 2, message: "bad nonce".into() }.exit_code(), 1);
    }
}
