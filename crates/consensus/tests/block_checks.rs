//! What a validator refuses to vote for: every way a proposer could bend a block, checked
//! against one node's committed state.

use malachitebft_signing_ed25519::PrivateKey;
use novation_consensus::block::{check_block, BlockContext, CarriedExtension, InvalidBlock, MAX_FUTURE_MS};
use novation_consensus::network::validator_genesis;
use novation_consensus::signing::{extension_signing_bytes, ConsensusSigner};
use novation_consensus::{validator_set, BlockId, ConsensusBlock, Height, OracleExtension, ValidatorAddress};
use novation_node::{demo_key, now_ms, ChainConfig, MempoolLimits, Node};
use novation_protocol::presets::USD;
use novation_tx::TxPayload;
use novation_types::{action, Action};

const CHAIN: u64 = 31_338;

fn keys() -> Vec<PrivateKey> {
    (1..=4u8).map(|i| PrivateKey::from([i; 32])).collect()
}

fn node(dir: &std::path::Path) -> Node {
    let powers: Vec<_> = keys().iter().map(|k| (k.public_key(), 1)).collect();
    Node::open(ChainConfig {
        data_dir: dir.to_path_buf(),
        genesis: validator_genesis(&powers),
        chain_id: CHAIN,
        mempool: MempoolLimits::default(),
        max_block_txs: 100,
        max_block_bytes: 1 << 20,
        snapshot_interval_blocks: 0,
    })
    .unwrap()
}

fn deposit(nonce: u64) -> novation_tx::SignedTransaction {
    let signer = demo_key(1);
    let action = Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount: "5".parse().unwrap() });
    signer.sign(&TxPayload::new(CHAIN, signer.address(), nonce, vec![action]))
}

fn good_block(node: &Node) -> ConsensusBlock {
    ConsensusBlock {
        height: node.height() + 1,
        time_ms: now_ms(),
        proposer: ValidatorAddress::of(&keys()[0].public_key()),
        parent_hash: node.genesis_hash(),
        prev_state_root: node.state_root(),
        prev_block: None,
        extensions: Vec::new(),
        envelopes: vec![deposit(0), deposit(1)],
    }
}

#[test]
fn every_bent_block_is_refused_and_the_honest_one_passes() {
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    let set = validator_set(&keys().iter().map(|k| (k.public_key(), 1)).collect::<Vec<_>>());
    let live = BlockContext { chain_id: CHAIN, validators: &set, prev_block: None, now_ms: Some(now_ms()) };
    let check = |block: &ConsensusBlock| check_block(&node, &live, block).map(|txs| txs.len());

    assert_eq!(check(&good_block(&node)), Ok(2));

    let bend = |f: &dyn Fn(&mut ConsensusBlock)| {
        let mut block = good_block(&node);
        f(&mut block);
        check(&block)
    };
    assert!(matches!(bend(&|b| b.height = 2), Err(InvalidBlock::WrongHeight { .. })));
    assert_eq!(bend(&|b| b.parent_hash = [7; 32]), Err(InvalidBlock::WrongParent));
    assert_eq!(bend(&|b| b.prev_state_root = [7; 32]), Err(InvalidBlock::WrongStateRoot));
    assert_eq!(bend(&|b| b.prev_block = Some(BlockId([1; 32]))), Err(InvalidBlock::WrongPreviousBlock));
    assert_eq!(bend(&|b| b.time_ms = 0), Err(InvalidBlock::TimeNotAfterParent));
    assert_eq!(bend(&|b| b.time_ms = now_ms() + MAX_FUTURE_MS + 60_000), Err(InvalidBlock::TimeOutOfBounds));
    assert_eq!(bend(&|b| b.time_ms = now_ms() - 3_600_000), Err(InvalidBlock::TimeOutOfBounds));
    assert_eq!(bend(&|b| b.envelopes[1] = b.envelopes[0].clone()), Err(InvalidBlock::DuplicateTransaction(1)));
    // An envelope whose signature does not verify (a tampered payload merely recovers another
    // signer, whose authority the protocol checks when the block executes).
    assert!(matches!(
        bend(&|b| b.envelopes[0].signature =
            novation_tx::TxSignature::Eip712 { signature: format!("0x{}", "11".repeat(65)) }),
        Err(InvalidBlock::BadTransaction(0, _))
    ));
    assert!(matches!(bend(&|b| b.envelopes[0].payload.push_str("junk")), Err(InvalidBlock::BadTransaction(0, _))));
    assert_eq!(bend(&|b| b.envelopes = (0..101).map(deposit).collect()), Err(InvalidBlock::TooLarge));
    // Extensions need a previous block to be scoped to.
    assert_eq!(
        bend(&|b| b.extensions = vec![CarriedExtension {
            validator: ValidatorAddress::of(&keys()[0].public_key()),
            round: 0,
            data: vec![],
            signature: [0; 64],
        }]),
        Err(InvalidBlock::BadExtension(0))
    );

    // Sync: the clock bound is not applied, the rest is.
    let sync = BlockContext { now_ms: None, ..live.clone() };
    let mut old = good_block(&node);
    old.time_ms = 1_000;
    assert_eq!(check_block(&node, &sync, &old).map(|t| t.len()), Ok(2));
}

#[test]
fn carried_extensions_must_be_signed_by_distinct_validators_for_the_previous_block() {
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    let keys = keys();
    let set = validator_set(&keys.iter().map(|k| (k.public_key(), 1)).collect::<Vec<_>>());
    // Commit block 1 so block 2 carries block 1's extensions.
    node.commit_block(1, now_ms() - 1_000, Vec::new(), Vec::new()).unwrap();
    let prev = BlockId([9; 32]);
    let ctx = BlockContext { chain_id: CHAIN, validators: &set, prev_block: Some(prev), now_ms: Some(now_ms()) };
    let data = OracleExtension { height: 1, prices: vec![], surfaces: vec![] }.to_bytes().unwrap();
    let sign = |key: &PrivateKey, scope: BlockId, data: &[u8]| {
        let address = ValidatorAddress::of(&key.public_key());
        let bytes = extension_signing_bytes(CHAIN, Height(1), 0, &scope, &address, data);
        CarriedExtension {
            validator: address,
            round: 0,
            data: data.to_vec(),
            signature: ConsensusSigner::new(key.clone(), CHAIN).sign_bytes(&bytes).to_bytes(),
        }
    };
    let block = |extensions: Vec<CarriedExtension>| ConsensusBlock {
        height: 2,
        time_ms: now_ms(),
        proposer: ValidatorAddress::of(&keys[1].public_key()),
        parent_hash: node.latest_header().unwrap().hash(),
        prev_state_root: node.state_root(),
        prev_block: Some(prev),
        extensions,
        envelopes: vec![],
    };
    let mut honest: Vec<CarriedExtension> = keys.iter().map(|k| sign(k, prev, &data)).collect();
    honest.sort_by_key(|e| e.validator);
    assert!(check_block(&node, &ctx, &block(honest.clone())).is_ok());

    let mut twice = honest.clone();
    twice[1] = twice[0].clone();
    assert!(matches!(check_block(&node, &ctx, &block(twice)), Err(InvalidBlock::BadExtension(1))));

    let mut other_block = honest.clone();
    other_block[2] = sign(&keys[2], BlockId([8; 32]), &data);
    other_block.sort_by_key(|e| e.validator);
    assert!(matches!(check_block(&node, &ctx, &block(other_block)), Err(InvalidBlock::BadExtension(_))));

    let mut tampered = honest.clone();
    tampered[3].data.push(0);
    assert!(matches!(check_block(&node, &ctx, &block(tampered)), Err(InvalidBlock::BadExtension(3))));

    let stranger = PrivateKey::from([99; 32]);
    let mut with_stranger = honest;
    with_stranger.push(sign(&stranger, prev, &data));
    with_stranger.sort_by_key(|e| e.validator);
    assert!(matches!(check_block(&node, &ctx, &block(with_stranger)), Err(InvalidBlock::BadExtension(_))));
}

#[test]
fn on_a_validator_chain_prices_come_only_from_the_validators() {
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    // An account's PriceReport transaction is refused: only validators publish, and no
    // account key can sign as a validator (its address is in another domain).
    let signer = demo_key(2);
    let report = Action::PriceReport(action::PriceReport {
        asset: novation_protocol::presets::BTC,
        price: "1".parse().unwrap(),
        confidence: "0".parse().unwrap(),
        publish_time_ms: now_ms(),
    });
    let envelope = signer.sign(&TxPayload::new(CHAIN, signer.address(), 0, vec![report]));
    let tx = node.verify_envelope(envelope).unwrap();
    node.commit_block(1, now_ms(), vec![tx], Vec::new()).unwrap();
    let reports = node.with_state(|s| s.oracle(novation_protocol::presets::BTC).unwrap().reports.len());
    assert_eq!(reports, 0);
    let publishers = node.with_state(|s| s.params().publishers.iter().map(|p| p.address).collect::<Vec<_>>());
    for key in keys() {
        let validator = ValidatorAddress::of(&key.public_key()).0;
        assert!(publishers.contains(&validator));
        assert_ne!(validator, novation_tx::ed25519_address(key.public_key().as_bytes()), "not an account address");
    }
}

#[test]
fn an_envelope_admitted_here_is_taken_from_the_pool_and_a_copy_bent_under_its_signature_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    let admitted = deposit(0);
    let tx_hash = node.submit(admitted.clone()).unwrap().tx_hash;
    let from_pool = node.verify_block_envelope(&admitted).unwrap();
    let verified = node.verify_envelope(admitted.clone()).unwrap();
    assert_eq!((from_pool.hash, &from_pool.tx), (tx_hash, &verified.tx));
    // The same signature over another payload: verified in full, never the pool's transaction.
    let mut bent = admitted;
    bent.payload = bent.payload.replace("\"5\"", "\"6\"");
    assert_ne!(bent.payload, deposit(0).payload, "the amount was rewritten");
    match (node.verify_block_envelope(&bent), node.verify_envelope(bent.clone())) {
        (Ok(checked), Ok(full)) => {
            assert_ne!(checked.hash, tx_hash);
            assert_eq!((checked.hash, &checked.tx), (full.hash, &full.tx));
        }
        (Err(checked), Err(full)) => assert_eq!(checked.to_string(), full.to_string()),
        (checked, full) => panic!("pool path {checked:?} but full verification {full:?}"),
    }
}
