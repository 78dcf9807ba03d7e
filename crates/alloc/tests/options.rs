//! The option index novation sets is mimalloc's purge delay: a child process started with
//! `MIMALLOC_PURGE_DELAY` in its environment reads that value back through the index.

use std::process::Command;

const CHILD: &str = "NOVATION_ALLOC_TEST_CHILD";

#[test]
fn the_index_names_mimallocs_purge_delay() {
    if std::env::var_os(CHILD).is_some() {
        assert_eq!(novation_alloc::purge_delay(), 4321);
        return;
    }
    let me = std::env::current_exe().unwrap();
    let status = Command::new(me)
        .args(["--exact", "the_index_names_mimallocs_purge_delay", "--nocapture"])
        .env(CHILD, "1")
        .env("MIMALLOC_PURGE_DELAY", "4321")
        .status()
        .unwrap();
    assert!(status.success(), "the child read another option than MIMALLOC_PURGE_DELAY");
}

#[test]
fn keeping_freed_memory_turns_purging_off() {
    novation_alloc::keep_freed_memory();
    assert_eq!(novation_alloc::purge_delay(), -1);
}
