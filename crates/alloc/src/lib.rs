//! The allocator of novation's programs (`novation`, `novation-bench`): mimalloc, which
//! serves a node's many short-lived allocations across threads (blocks, history rows,
//! envelopes) at a fraction of what glibc's malloc costs, with one setting changed.
//!
//! A block allocates tens of megabytes that live only until it is committed: its encoded body
//! and results, its event records, the store's pages. By default mimalloc hands freed memory
//! back to the kernel after a delay, so the next block faults the same amount in again, and
//! the kernel zeroes every page first: on a loaded validator that was about an eighth of all
//! CPU time (444,000 page faults in one consensus benchmark run, against 2,700 with the
//! memory kept). [`keep_freed_memory`] turns purging off: the process keeps its peak, which
//! for a node is its state plus a few blocks in flight.
//!
//! ```no_run
//! #[global_allocator]
//! static ALLOCATOR: novation_alloc::Allocator = novation_alloc::Allocator;
//!
//! fn main() {
//!     novation_alloc::keep_freed_memory();
//! }
//! ```

/// The global allocator type.
pub use mimalloc::MiMalloc as Allocator;

/// Index of `mi_option_purge_delay` in the pinned mimalloc's `mi_option_t` (the bindings
/// name no constant for it); `tests/options.rs` checks it against the environment variable
/// mimalloc reads for that option.
pub const PURGE_DELAY_OPTION: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc never to return freed memory to the kernel. Call it first thing in `main`.
pub fn keep_freed_memory() {
    // SAFETY: `mi_option_set` only stores a value in mimalloc's option table; any index and
    // value are accepted (out-of-range indices are ignored), and it may be called at any time.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY_OPTION, -1);
    }
}

/// The purge delay mimalloc is using (milliseconds; -1: never purge).
pub fn purge_delay() -> std::ffi::c_long {
    // SAFETY: `mi_option_get` reads mimalloc's option table (initialising it from the
    // environment on first use); the index is one this version defines.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_get(PURGE_DELAY_OPTION)
    }
}
