//! What the CLI's end-to-end tests share: a devnet child process that dies with the test,
//! and a free loopback port.
#![allow(dead_code, unreachable_pub)]

use std::process::Child;

/// Kills the devnet when dropped, passing or failing.
pub struct Devnet(pub Child);

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
