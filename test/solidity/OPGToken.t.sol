// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {OPGToken} from "../../contracts/token/OPGToken.sol";
import {Test} from "./utils/Test.sol";

contract OPGTokenTest is Test {
    OPGToken internal token;
    address internal constant ALICE = address(0xA11CE);

    function setUp() public {
        token = new OPGToken(address(this), 1_000_000 ether);
    }

    function testFixedSupplyMintedToHolder() public view {
        assertEq(token.totalSupply(), 1_000_000 ether, "supply");
        assertEq(token.balanceOf(address(this)), 1_000_000 ether, "holder");
    }

    function testFuzzBurnReducesSupply(uint256 amount) public {
        amount = bound(amount, 0, 1_000_000 ether);
        token.burn(amount);
        assertEq(token.totalSupply(), 1_000_000 ether - amount, "burned");
    }

    function testBurnMoreThanBalanceReverts() public {
        vm.prank(ALICE);
        vm.expectRevert();
        token.burn(1);
    }

    function testPermitSetsAllowance() public {
        uint256 key = 0xA11CE;
        address owner = vm.addr(key);
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
                ),
                owner,
                ALICE,
                5 ether,
                token.nonces(owner),
                block.timestamp + 1
            )
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        token.permit(owner, ALICE, 5 ether, block.timestamp + 1, v, r, s);
        assertEq(token.allowance(owner, ALICE), 5 ether, "allowance");
        assertEq(token.nonces(owner), 1, "nonce");
    }
}
