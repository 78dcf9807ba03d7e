//! Proptest strategies over scripts (feature `proptest`).
//!
//! A case is a seed drawn from proptest's RNG and the script [`Script::generate`] makes of
//! it, so a failure proptest finds is replayed by its seed outside proptest too (the
//! campaign, `NOVATION_SIM_SEED`). Shrinking is structural: the tree removes chunks of
//! blocks, then single transactions, actions and batch orders, then openers, and calms
//! price moves and outages, keeping each removal that still fails, until nothing more can be
//! removed. A shrunk script still carries its seed (marked `shrunk`).

use proptest::arbitrary::any;
use proptest::strategy::{NewTree, Strategy, ValueTree};
use proptest::test_runner::TestRunner;

use crate::script::{ActionSpec, Flavor, Move, Script};

/// Scripts of `flavor`, generated from seeds and shrunk structurally.
pub fn scripts(flavor: Flavor) -> ScriptStrategy {
    ScriptStrategy { flavor }
}

/// See [`scripts`].
#[derive(Clone, Copy, Debug)]
pub struct ScriptStrategy {
    flavor: Flavor,
}

impl Strategy for ScriptStrategy {
    type Tree = ScriptTree;
    type Value = Script;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let seed = any::<u64>().new_tree(runner)?.current();
        Ok(ScriptTree::new(Script::generate(seed, self.flavor)))
    }
}

/// One removal or simplification of a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Edit {
    /// Remove `len` blocks starting at `start`.
    Blocks {
        start: usize,
        len: usize,
    },
    Tx {
        block: usize,
        tx: usize,
    },
    Action {
        block: usize,
        tx: usize,
        action: usize,
    },
    BatchOrder {
        block: usize,
        tx: usize,
        action: usize,
        order: usize,
    },
    Opener(usize),
    NoOutage(usize),
    Hold {
        block: usize,
        asset: usize,
    },
}

/// The edits worth trying on `script`, the largest first.
fn edits(script: &Script) -> Vec<Edit> {
    let mut edits = Vec::new();
    let blocks = script.blocks.len();
    let mut len = blocks / 2;
    while len > 0 {
        let mut start = blocks - len;
        loop {
            edits.push(Edit::Blocks { start, len });
            if start < len {
                break;
            }
            start -= len;
        }
        len /= 2;
    }
    for (b, block) in script.blocks.iter().enumerate().rev() {
        for (t, tx) in block.txs.iter().enumerate().rev() {
            edits.push(Edit::Tx { block: b, tx: t });
            for (a, action) in tx.actions.iter().enumerate().rev() {
                if tx.actions.len() > 1 {
                    edits.push(Edit::Action { block: b, tx: t, action: a });
                }
                if let ActionSpec::Batch(orders) = action {
                    for o in (0..orders.len()).rev() {
                        edits.push(Edit::BatchOrder { block: b, tx: t, action: a, order: o });
                    }
                }
            }
        }
    }
    edits.extend((0..script.openers.len()).rev().map(Edit::Opener));
    for (b, block) in script.blocks.iter().enumerate() {
        if block.outage > 0 {
            edits.push(Edit::NoOutage(b));
        }
        for (asset, movement) in block.moves.iter().enumerate() {
            if !matches!(movement, Move::Hold) {
                edits.push(Edit::Hold { block: b, asset });
            }
        }
    }
    edits
}

/// `script` with `edit` applied (a shrunk copy), or `None` if the edit no longer applies.
fn apply(script: &Script, edit: Edit) -> Option<Script> {
    let mut next = script.clone();
    next.shrunk = true;
    match edit {
        Edit::Blocks { start, len } => {
            next.blocks.get(start..start + len)?;
            next.blocks.drain(start..start + len);
        }
        Edit::Tx { block, tx } => {
            let txs = &mut next.blocks.get_mut(block)?.txs;
            txs.get(tx)?;
            txs.remove(tx);
        }
        Edit::Action { block, tx, action } => {
            let actions = &mut next.blocks.get_mut(block)?.txs.get_mut(tx)?.actions;
            if actions.len() < 2 || action >= actions.len() {
                return None;
            }
            actions.remove(action);
        }
        Edit::BatchOrder { block, tx, action, order } => {
            let spec = next.blocks.get_mut(block)?.txs.get_mut(tx)?.actions.get_mut(action)?;
            let ActionSpec::Batch(orders) = spec else { return None };
            orders.get(order)?;
            orders.remove(order);
        }
        Edit::Opener(index) => {
            next.openers.get(index)?;
            next.openers.remove(index);
        }
        Edit::NoOutage(block) => next.blocks.get_mut(block)?.outage = 0,
        Edit::Hold { block, asset } => *next.blocks.get_mut(block)?.moves.get_mut(asset)? = Move::Hold,
    }
    Some(next)
}

/// A generated script and its shrinking state.
#[derive(Clone, Debug)]
pub struct ScriptTree {
    /// The smallest script known to fail (the generated one until a failure is seen).
    accepted: Script,
    /// The script under test.
    current: Script,
    edits: Vec<Edit>,
    next: usize,
    /// Whether an edit was kept since the edit list was last rebuilt from the start.
    progressed: bool,
}

impl ScriptTree {
    fn new(script: Script) -> Self {
        ScriptTree { accepted: script.clone(), current: script, edits: Vec::new(), next: 0, progressed: false }
    }

    /// Moves `current` to the next applicable edit of `accepted`; false when none is left.
    fn advance(&mut self) -> bool {
        loop {
            if self.next >= self.edits.len() {
                if !self.progressed {
                    self.current = self.accepted.clone();
                    return false;
                }
                // Another round: earlier edits may apply now that later parts are gone.
                self.progressed = false;
                self.edits = edits(&self.accepted);
                self.next = 0;
                continue;
            }
            let edit = self.edits[self.next];
            self.next += 1;
            if let Some(candidate) = apply(&self.accepted, edit) {
                self.current = candidate;
                return true;
            }
        }
    }
}

impl ValueTree for ScriptTree {
    type Value = Script;

    fn current(&self) -> Script {
        self.current.clone()
    }

    /// `current` fails: keep it, and try a smaller one.
    fn simplify(&mut self) -> bool {
        let first = self.edits.is_empty() && self.next == 0;
        self.accepted = self.current.clone();
        if first {
            self.edits = edits(&self.accepted);
        } else {
            self.progressed = true;
            // The list was built for a larger script; positions past an applied removal
            // shifted, so rebuild it and continue from about the same place.
            let position = self.next.saturating_sub(1);
            self.edits = edits(&self.accepted);
            self.next = position.min(self.edits.len());
        }
        self.advance()
    }

    /// `current` passes: go back to the last failing script and try the next edit.
    fn complicate(&mut self) -> bool {
        self.current = self.accepted.clone();
        self.advance()
    }
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;

    use super::ScriptTree;
    use crate::script::{Flavor, Script};

    /// Drives the tree the way proptest's runner does, with `fails` as the test.
    fn shrink(script: Script, fails: impl Fn(&Script) -> bool) -> Script {
        let mut tree = ScriptTree::new(script);
        assert!(fails(&tree.current()));
        if tree.simplify() {
            for _ in 0..100_000 {
                let more = if fails(&tree.current()) { tree.simplify() } else { tree.complicate() };
                if !more {
                    break;
                }
            }
        }
        tree.current()
    }

    #[test]
    fn a_failing_script_shrinks_to_what_makes_it_fail() {
        let script = Script::generate(5, Flavor::WILD.with_blocks(30));
        let busy = |s: &Script| s.blocks.iter().filter(|b| b.txs.len() >= 3).count() >= 2;
        assert!(busy(&script), "the seed makes busy blocks");
        let small = shrink(script.clone(), busy);
        assert!(busy(&small), "the shrunk script still fails");
        assert!(small.shrunk && small.seed == script.seed);
        assert_eq!(small.blocks.len(), 2, "{small:?}");
        assert!(small.blocks.iter().all(|b| b.txs.len() == 3), "{small:?}");
        assert!(small.openers.is_empty());
    }
}
