#!/usr/bin/env python3
"""Sign a novation transaction payload as EIP-712 typed data with eth-account.

An independent implementation for novation-tx's cross-implementation test: it builds the
full typed-data dictionary an Ethereum wallet would be given (EIP712Domain without
verifyingContract) and signs it with eth_account.Account.sign_message.

Usage:
    sign_eip712.py --key 0x<32-byte secret> --chain-id N --account 0x<address> \
                   --nonce N --payload '<payload JSON text>'

Prints one JSON object: {"address": signer, "digest": EIP-712 signing hash,
"signature": 0x r||s||v (65 bytes, v in {27, 28})}. Needs `pip install eth-account`.
"""

import argparse
import json
import sys

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak


def typed_data(chain_id: int, account: str, nonce: int, payload: bytes) -> dict:
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
            ],
            "NovationTransaction": [
                {"name": "account", "type": "address"},
                {"name": "nonce", "type": "uint64"},
                {"name": "payloadHash", "type": "bytes32"},
            ],
        },
        "primaryType": "NovationTransaction",
        "domain": {"name": "novation", "version": "1", "chainId": chain_id},
        "message": {"account": account, "nonce": nonce, "payloadHash": keccak(payload)},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", required=True, help="secp256k1 secret key, 0x + 64 hex digits")
    parser.add_argument("--chain-id", required=True, type=int)
    parser.add_argument("--account", required=True, help="the account acted for, 0x + 40 hex digits")
    parser.add_argument("--nonce", required=True, type=int)
    parser.add_argument("--payload", required=True, help="the payload JSON text, signed byte for byte")
    args = parser.parse_args()

    signable = encode_typed_data(full_message=typed_data(args.chain_id, args.account, args.nonce, args.payload.encode("utf-8")))
    # EIP-191 version 0x01: keccak256(0x19 || 0x01 || domainSeparator || hashStruct(message)).
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    signer = Account.from_key(args.key)
    signed = Account.sign_message(signable, private_key=args.key)
    assert bytes(signed.message_hash) == digest, "eth-account hashed differently from EIP-191"
    json.dump(
        {
            "address": signer.address.lower(),
            "digest": "0x" + digest.hex(),
            "signature": "0x" + bytes(signed.signature).hex(),
        },
        sys.stdout,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
